import type { WorkerState } from '../../../shared/events';

/** One colour per worker state; idle and stopped are white space on the timeline. */
export const STATE_COLORS: Record<WorkerState, string | null> = {
  connecting: '#9b7fd1',
  listing: '#b89be8',
  downloading: '#2f80ed',
  'waiting to clean': '#a9dfbf',
  cleaning: '#27ae60',
  writing: '#f2c94c',
  idle: null,
  paused: '#bdbdbd',
  retrying: '#f2994a',
  waiting: '#e0b0ff',
  failed: '#111111',
  stopped: null,
};
