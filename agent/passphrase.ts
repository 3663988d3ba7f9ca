import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { AGENT_MESSAGES, MIN_PASSPHRASE_LENGTH } from '@/wire/protocol';
import type { PromptInput, TextOutput } from './io';

/** Where the passphrase comes from; a prompt needs stdin to be a terminal. */
export type PassphraseSource =
  | { kind: 'file'; path: string }
  | { kind: 'generate' }
  | { kind: 'prompt'; stdin: PromptInput; stderr: TextOutput };

const GENERATED_PASSPHRASE_BYTES = 24;
// What arrow, function and editing keys send (CSI and SS3 sequences): keys pressed, not characters typed.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching the escape character is the point.
const ESCAPE_SEQUENCE = /\u001b(?:\[[0-?]*[ -/]*[@-~]|O.)?/g;

/** The passphrase from its source, refused before anything else happens when it is too short. */
export async function obtainPassphrase(source: PassphraseSource): Promise<string> {
  switch (source.kind) {
    case 'file':
      return requireLongEnough(await readPassphraseFile(source.path));
    case 'generate':
      return generatePassphrase();
    case 'prompt': {
      const passphrase = requireLongEnough(await promptHidden('Passphrase: ', source.stdin, source.stderr));
      const confirmation = await promptHidden('Confirm passphrase: ', source.stdin, source.stderr);
      if (confirmation !== passphrase) throw new Error('The passphrases do not match.');
      return passphrase;
    }
  }
}

/** 32 base64url characters carrying 192 random bits. */
export function generatePassphrase(): string {
  return randomBytes(GENERATED_PASSPHRASE_BYTES).toString('base64url');
}

/**
 * The file's text less one trailing line break, which editors and `echo` add; any other whitespace is part of the
 * passphrase, since trimming it would silently change what the user chose.
 */
export async function readPassphraseFile(file: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new Error(`Could not read the passphrase file ${file}: ${(error as Error).message}`);
  }
  return text.replace(/\r?\n$/, '');
}

export function requireLongEnough(passphrase: string): string {
  // Counted in characters as people see them, not UTF-16 code units.
  if ([...passphrase].length < MIN_PASSPHRASE_LENGTH) throw new Error(AGENT_MESSAGES.shortPassphrase);
  return passphrase;
}

/**
 * Reads one line from a terminal without echoing it. Raw mode also swallows Ctrl+C, so it is handled here, and the
 * terminal is always put back the way it was.
 */
export function promptHidden(prompt: string, input: PromptInput, output: TextOutput): Promise<string> {
  return new Promise((resolve, reject) => {
    let typed = '';
    const finish = (error: Error | null) => {
      input.removeListener('data', onData);
      input.removeListener('end', onEnd);
      input.setRawMode?.(false);
      input.pause();
      output.write('\n');
      if (error) reject(error);
      else resolve(typed);
    };
    const onEnd = () => finish(new Error('No passphrase was typed.'));
    const onData = (chunk: string | Buffer) => {
      const chars = [...chunk.toString().replace(ESCAPE_SEQUENCE, '')];
      for (const [index, char] of chars.entries()) {
        if (char === '\r' || char === '\n') {
          // A paste can carry the confirmation too; hand it back for the next prompt.
          let rest = chars.slice(index + 1).join('');
          if (char === '\r') rest = rest.replace(/^\n/, '');
          finish(null);
          // Only once this prompt stopped listening: unshift on a flowing stream emits the data at once.
          if (rest !== '') input.unshift(rest);
          return;
        }
        if (char === '\u0003') return finish(new Error('Cancelled.'));
        if (char === '\u0004' && typed === '') return onEnd();
        if (char === '\u007f' || char === '\b') typed = [...typed].slice(0, -1).join('');
        else if (char >= ' ') typed += char;
      }
    };
    output.write(prompt);
    input.setRawMode?.(true);
    input.setEncoding('utf8');
    input.on('data', onData);
    input.on('end', onEnd);
    input.resume();
  });
}
