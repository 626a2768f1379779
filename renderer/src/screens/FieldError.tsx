/** A problem shown under its form field (the same words the CLI prints after the option's name). */
export function FieldError({ id, message }: { id: string; message: string | undefined }) {
  if (!message) return null;
  return (
    <span className="field-error" role="alert" data-testid={`error-${id}`}>
      {message}
    </span>
  );
}
