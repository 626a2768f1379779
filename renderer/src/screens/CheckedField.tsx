import type { InputHTMLAttributes, ReactNode } from 'react';
import type { useFieldProblems } from '../lib/field-problems';
import { FieldError } from './FieldError';

type InputAttributes = Pick<InputHTMLAttributes<HTMLInputElement>, 'placeholder' | 'title' | 'size' | 'list'>;

interface CheckedFieldProps extends InputAttributes {
  label: string;
  /** The form field whose problem shows under the input. */
  field: string;
  testId: string;
  /** The problem's test id (`error-<errorId>`); the field's name unless given. */
  errorId?: string;
  value: string;
  onEdit: (value: string) => void;
  /** The form's own check as the user leaves the field (absent: none; the host checks at Start). */
  check?: (value: string) => string | undefined;
  problems: Pick<ReturnType<typeof useFieldProblems>, 'problems' | 'setProblem'>;
  /** Shown between the input and its problem (a datalist). */
  children?: ReactNode;
}

/** A labelled text input with its problem under it: cleared as the user edits, checked as they leave. */
export function CheckedField({ label, field, testId, errorId = field, value, onEdit, check, problems, children, ...input }: CheckedFieldProps) {
  const message = problems.problems[field];
  return (
    <label>
      {label}
      <input
        {...input}
        data-testid={testId}
        aria-invalid={message ? true : undefined}
        value={value}
        onChange={(e) => {
          onEdit(e.target.value);
          problems.setProblem(field, undefined);
        }}
        onBlur={check && (() => problems.setProblem(field, check(value)))}
      />
      {children}
      <FieldError id={errorId} message={message} />
    </label>
  );
}
