// libmime ships no types; imapflow (our IMAP client) depends on it and decodes ENVELOPE text with it.
declare module 'libmime' {
  const libmime: { decodeWords(value: string): string };
  export default libmime;
}
