import { describe, expect, it } from 'vitest';
import { CsvRecordReader, MAX_RECORD_CHARS, type CsvRecord } from '../../../electron/engine/catalog/csv-records';

function split(text: string, chunk = text.length || 1): CsvRecord[] {
  const reader = new CsvRecordReader();
  const out: CsvRecord[] = [];
  for (let i = 0; i < text.length; i += chunk) reader.push(text.slice(i, i + chunk), out);
  reader.end(out);
  return out;
}

const simplify = (rs: CsvRecord[]) => rs.map((r) => ({ line: r.line, fields: r.fields, error: r.error }));

describe('CsvRecordReader', () => {
  it('splits plain, quoted, doubled-quote and multi-line fields with start lines', () => {
    const text = 'a,b,c\n"x, y","say ""hi""",z\n"multi\nline\ntitle",2,3\nlast,,\n';
    expect(simplify(split(text))).toEqual([
      { line: 1, fields: ['a', 'b', 'c'], error: undefined },
      { line: 2, fields: ['x, y', 'say "hi"', 'z'], error: undefined },
      { line: 3, fields: ['multi\nline\ntitle', '2', '3'], error: undefined },
      { line: 6, fields: ['last', '', ''], error: undefined },
    ]);
  });

  it('gives the same records whatever the chunking (every boundary, CRLF and "" included)', () => {
    const text = 'h1,h2\r\n"a ""q"" b",1\r\n"two\r\nlines",2\r\nplain,3\r\n\r\n"",4';
    const whole = simplify(split(text));
    for (const size of [1, 2, 3, 5, 7, 13]) expect(simplify(split(text, size))).toEqual(whole);
    expect(whole).toEqual([
      { line: 1, fields: ['h1', 'h2'], error: undefined },
      { line: 2, fields: ['a "q" b', '1'], error: undefined },
      { line: 3, fields: ['two\r\nlines', '2'], error: undefined },
      { line: 5, fields: ['plain', '3'], error: undefined },
      { line: 7, fields: ['', '4'], error: undefined },
    ]);
  });

  it('keeps a quote inside an unquoted field literally', () => {
    expect(split('5" floppy,1\n')[0]!.fields).toEqual(['5" floppy', '1']);
  });

  it('reports text after a closing quote and resumes on the next line', () => {
    const rs = split('1,"bad"x,2\n3,ok,4\n');
    expect(rs[0]).toMatchObject({ line: 1, error: 'unexpected text after a closing quote', raw: '1,"bad"x,2' });
    expect(simplify(rs.slice(1))).toEqual([{ line: 2, fields: ['3', 'ok', '4'], error: undefined }]);
  });

  it('reports an unterminated quote at the end and re-reads the lines after its start', () => {
    const rs = split('1,"never closed,2\n3,ok,4\n5,ok,6');
    expect(rs[0]).toMatchObject({ line: 1, error: 'unterminated quoted field', raw: '1,"never closed,2' });
    expect(simplify(rs.slice(1))).toEqual([
      { line: 2, fields: ['3', 'ok', '4'], error: undefined },
      { line: 3, fields: ['5', 'ok', '6'], error: undefined },
    ]);
  });

  it('gives up on a runaway quote after MAX_RECORD_CHARS and resynchronises', () => {
    const body = Array.from({ length: 4000 }, (_, i) => `${i},row number ${i} padding padding padding padding`).join('\n');
    const text = `x,"runaway\n${body}\n`;
    expect(text.length).toBeGreaterThan(MAX_RECORD_CHARS);
    const rs = split(text, 65536);
    expect(rs[0]).toMatchObject({ line: 1, raw: 'x,"runaway' });
    expect(rs[0]!.error).toMatch(/unbalanced quote/);
    expect(rs.slice(1).every((r) => r.error === undefined)).toBe(true);
    expect(rs).toHaveLength(4001);
    expect(rs[4000]).toMatchObject({ line: 4001, fields: ['3999', 'row number 3999 padding padding padding padding'] });
  });
});
