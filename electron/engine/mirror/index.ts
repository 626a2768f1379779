/** Mirror access: find and download the best text file of a Gutenberg ebook over FTP(S) or HTTP(S). */
export { openMirror } from './mirror';
export type { Mirror, MirrorSession, FetchedBook, FetchedBookFacts, HeldBook, FetchBookOptions, FetchBooksOptions, FetchBooksHandOverOptions, OpenMirrorOptions, MirrorProtocol, EncodingHint } from './types';
export { isHeldBook } from './types';
export { bookDir, candidates, chooseCandidate, assertEbook, type Candidate } from './mirror-layout';
export { parseStatListing, parseHtmlIndex, type ListingEntry } from './listing-parsers';
export { safeJoin, unsafeReason, isSafeName } from '../output/safe-path';
// FtpSession and mapFtpError are not re-exported: importing them here would load basic-ftp with every
// mirror (mirror.ts loads the FTP client at an FTP session's first call). Import ./ftp-session directly.
export { HttpSession, httpStatusError } from './http-session';
