import { useState } from 'react';
import type { InputProblem } from '../../../shared/input-checks';

/** A problem's message (lower case, it reads after the input's name in the CLI) as a sentence under its field. */
export function asSentence(message: string): string {
  return `${message.charAt(0).toUpperCase()}${message.slice(1)}`;
}

/** Problems per form field, plus the ones no field of the form shows (for the banner). */
export interface FieldProblems {
  byField: Record<string, string>;
  rest: string[];
}

/**
 * Sorts the host's problems (`job:check`, keyed by the job spec's field) onto the form's fields.
 * `fields` maps a spec field (or a prefix such as `selection`) to the form field that shows it.
 */
export function toFieldProblems(problems: readonly InputProblem[], fields: Record<string, string>): FieldProblems {
  const byField: Record<string, string> = {};
  const rest: string[] = [];
  for (const p of problems) {
    const key = Object.keys(fields).find((f) => p.field === f || p.field.startsWith(`${f}.`));
    const message = asSentence(p.message);
    if (key === undefined) rest.push(`${p.field}${p.value !== undefined ? ` ${p.value}` : ''}: ${p.message}`);
    else byField[fields[key]!] ??= message;
  }
  return { byField, rest };
}

/** A form's problems by field: set one (or clear it, with no message), replace them all, and `aria-invalid` for an input. */
export function useFieldProblems() {
  const [problems, setAll] = useState<Record<string, string>>({});
  const setProblem = (field: string, message: string | undefined) =>
    setAll((p) => {
      const next = { ...p };
      if (message) next[field] = message;
      else delete next[field];
      return next;
    });
  const invalid = (field: string) => (problems[field] ? true : undefined);
  return { problems, setProblem, setAll, invalid };
}
