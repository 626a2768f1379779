/**
 * Regular expressions for the Project Gutenberg licence markers of every era. They run on text
 * already normalised to LF line endings, with the `m` flag so `^` anchors on line starts: a
 * marker phrase in the middle of a line of prose never matches.
 *
 * Word gaps use `G`: spaces, or one line break (markers wrapped over two lines), never a blank line.
 */
const G = String.raw`(?:[ \t]+|[ \t]*\n[ \t]*)`;

/**
 * Start of the book text (end of the header). Covers
 * `*** START OF THIS PROJECT GUTENBERG EBOOK X ***`, `*** START OF THE PROJECT GUTENBERG EBOOK X ***`,
 * `***START OF THE PROJECT GUTENBERG EBOOK X***` (no spaces) and the 1990s small-print end lines
 * `*END*THE SMALL PRINT! ...`, `*END THE SMALL PRINT! ...`, `***END***THE SMALL PRINT` and the
 * `...SMALL PRINT!...*ENDS*` variants.
 */
export const START_MARKER_RE = new RegExp(
  String.raw`^[ \t]*\**[ \t]*START${G}OF${G}(?:THIS|THE)${G}PROJECT${G}GUTENBERG${G}E-?(?:BOOK|TEXT)` +
    String.raw`|^[ \t]*\*+[ \t]*ENDS?[ \t*]*THE${G}SMALL${G}PRINT` +
    String.raw`|^[^\n]*SMALL[ \t]+PRINT![^\n]*\*ENDS?\*[ \t]*$`,
  'gim',
);

/**
 * Start of the footer. Covers `*** END OF THIS/THE PROJECT GUTENBERG EBOOK ...`,
 * `End of the Project Gutenberg EBook of ...`, `End of Project Gutenberg's ...`,
 * `End of Project Gutenberg Etext ...` and `End of this Project Gutenberg etext of ...`.
 */
export const END_MARKER_RE = new RegExp(
  String.raw`^[ \t]*\**[ \t]*END${G}OF${G}(?:(?:THIS|THE)${G})?PROJECT${G}GUTENBERG`,
  'gim',
);

/**
 * First line of a paragraph that is Gutenberg's, not the author's, when it sits at the top of the
 * text: producer credits and "also has an HTML version" notes.
 */
export const CREDIT_PARAGRAPH_RE =
  /^[ \t]*(?:Produced[ \t]+by|E-?texts?[ \t]+(?:was[ \t]+)?(?:prepared|produced)[ \t]+by|(?:This|The)[ \t]+(?:Project[ \t]+Gutenberg[ \t]+)?e-?(?:text|book)[ \t]+(?:was[ \t]+)?(?:prepared|produced|transcribed)[ \t]+(?:by|from)|Transcribed[ \t]+(?:from|by)|Credit[ \t]+for[ \t]+e-?text|(?:Note:[ \t]*)?Project[ \t]+Gutenberg[ \t]+also[ \t]+has[ \t]+an[ \t]+HTML[ \t]+version)/i;

/** A line that closes a wrapped start marker (`... 1827***`). */
export const MARKER_CLOSE_RE = /\*{2,}[ \t]*$/;
