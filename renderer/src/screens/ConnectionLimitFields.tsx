import { parseDuration } from '../../../shared/byte-rate';
import { checkItemTimeout, checkMaxPerHost } from '../../../shared/input-checks';
import { asSentence as sentence, type useFieldProblems } from '../lib/field-problems';
import { CheckedField } from './CheckedField';

/** The Gutenberg job's connection limits as typed: `--max-per-host` and `--item-timeout`, empty for none. */
export interface ConnectionLimits {
  maxPerHost: string;
  itemTimeout: string;
}

/** The form's own check of one field as the user leaves it (the host checks again at Start), as the CLI checks its option. */
const localCheck = (check: (text: string) => string | null) => (v: string): string | undefined => {
  const problem = v.trim() ? check(v) : null;
  return problem ? sentence(problem) : undefined;
};

/**
 * The spec fields of the typed limits: absent when empty; a value that does not parse becomes -1,
 * so the host's check refuses it under its field (the form shows the problem, nothing starts).
 */
export function limitSpecFields(l: ConnectionLimits): { maxPerHost?: number; itemTimeoutMs?: number } {
  const perHost = l.maxPerHost.trim();
  return {
    ...(perHost ? { maxPerHost: checkMaxPerHost(perHost) ? -1 : Number(perHost) } : {}),
    ...(l.itemTimeout.trim() ? { itemTimeoutMs: parseDuration(l.itemTimeout) ?? -1 } : {}),
  };
}

/** "Connections per server" and "Per-book timeout", each with its problem under it. */
export function ConnectionLimitFields({ limits, onEdit, problems }: {
  limits: ConnectionLimits;
  onEdit: (next: ConnectionLimits) => void;
  problems: Pick<ReturnType<typeof useFieldProblems>, 'problems' | 'setProblem'>;
}) {
  return (
    <>
      <CheckedField
        label="Connections per server"
        field="maxPerHost"
        testId="max-per-host"
        size={4}
        value={limits.maxPerHost}
        placeholder="workers"
        title="At most this many connections to the mirror's server. Empty: the worker count, lowered to what the server accepted when it last refused one."
        onEdit={(maxPerHost) => onEdit({ ...limits, maxPerHost })}
        check={localCheck(checkMaxPerHost)}
        problems={problems}
      />
      <CheckedField
        label="Per-book timeout"
        field="itemTimeoutMs"
        testId="item-timeout"
        size={6}
        value={limits.itemTimeout}
        placeholder="none (e.g. 30s)"
        title="Cut a book not fetched in this time and try it again on a new connection (within the attempts). Empty: no timeout."
        onEdit={(itemTimeout) => onEdit({ ...limits, itemTimeout })}
        check={localCheck(checkItemTimeout)}
        problems={problems}
      />
    </>
  );
}
