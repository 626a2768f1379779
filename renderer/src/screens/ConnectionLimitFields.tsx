import { checkItemTimeout, checkMaxPerHost } from '../../../shared/input-checks';
import { asSentence as sentence, type useFieldProblems } from '../lib/field-problems';
import { CheckedField } from './CheckedField';
import type { ConnectionLimits } from '../lib/connection-limits';

/** The form's own check of one field as the user leaves it (the host checks again at Start), as the CLI checks its option. */
const localCheck = (check: (text: string) => string | null) => (v: string): string | undefined => {
  const problem = v.trim() ? check(v) : null;
  return problem ? sentence(problem) : undefined;
};

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
