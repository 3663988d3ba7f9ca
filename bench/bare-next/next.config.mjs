// The baseline for `npm run bench`'s front-door section: Next.js with its defaults, nothing of the portal.
export default {};
