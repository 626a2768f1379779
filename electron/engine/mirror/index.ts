/** Mirror access: find and download the best text file of a Gutenberg ebook over FTP(S) or HTTP(S). */
export { openMirror } from './mirror';
export type { Mirror, MirrorSession, FetchedBook, FetchedBookFacts, HeldBook, FetchBookOptions, FetchBooksOptions, FetchBooksHandOverOptions, OpenMirrorOptions, MirrorProtocol, EncodingHint } from './types';
export { isHeldBook } from './types';
export { bookDir, candidates, chooseCandidate, assertEbook, type Candidate } from './mirror-layout';
export { parseStatListing, parseHtmlIndex, type ListingEntry } from './listing-parsers';
export { safeJoin, unsafeReason, isSafeName } from '../output/safe-path';
export { FtpSession } from './ftp-session';
export { mapFtpError, type FtpPhase } from './ftp-errors';
export { HttpSession, httpStatusError } from './http-session';
