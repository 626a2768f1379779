/**
 * A strict little XML well-formedness check for the SVGs the lab writes (no XML parser is a
 * dependency): every tag closes in order, attributes are quoted, text holds no bare `<` or `&`.
 * Returns the elements met, with their attributes, for the test to count.
 */
export interface SvgElement {
  name: string;
  attrs: Record<string, string>;
}

export function checkSvg(text: string): { elements: SvgElement[] } {
  const elements: SvgElement[] = [];
  const stack: string[] = [];
  const tag = /<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/y;
  let i = 0;
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    const chunk = text.slice(i, lt === -1 ? text.length : lt);
    if (/&(?!(?:lt|gt|amp|quot|apos|#\d+);)/.test(chunk)) throw new Error(`bare & in text near ${i}`);
    if (lt === -1) break;
    tag.lastIndex = lt;
    const m = tag.exec(text);
    if (!m) throw new Error(`malformed tag at ${lt}: ${text.slice(lt, lt + 40)}`);
    const [, close, name, attrText, selfClose] = m;
    if (close) {
      if (stack.pop() !== name) throw new Error(`</${name}> closes nothing open at ${lt}`);
    } else {
      const attrs: Record<string, string> = {};
      for (const a of attrText!.matchAll(/([\w:-]+)="([^"]*)"/g)) attrs[a[1]!] = a[2]!;
      elements.push({ name: name!, attrs });
      if (!selfClose) stack.push(name!);
    }
    i = tag.lastIndex;
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack.join('>, <')}>`);
  if (elements[0]?.name !== 'svg') throw new Error('the root is not <svg>');
  return { elements };
}
