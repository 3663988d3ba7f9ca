/**
 * What signing in answers besides a wrong pair: the server throws these from the credentials provider and the form
 * recognises them, so they live where both can import them.
 */
export const CODE_REQUIRED = 'Enter the code from your authenticator app, or a recovery code.';
export const INVALID_CODE = 'The code is incorrect.';
