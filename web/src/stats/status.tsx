import type { Labels } from './labels';
import type { PlanStatus, Status } from './queries';

/** An icon beside the word: colour is never the only signal. */
const ICONS: Record<Status | PlanStatus, string> = {
  MET: '✓', MISSED: '✗', NOT_IN_FORCE: '–', NO_DATA: '?',
  ISSUED: '✓', ISSUED_LATE: '!', OVERDUE: '✗', PENDING: '…',
};

export function StatusBadge({ status, t }: { status: Status | PlanStatus; t: Labels }) {
  return (
    <span className={`dvc-status dvc-status-${status.toLowerCase()}`} data-status={status}>
      <span aria-hidden="true">{ICONS[status]} </span>
      {t[status]}
    </span>
  );
}
