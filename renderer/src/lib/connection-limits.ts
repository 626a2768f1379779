import { parseDuration } from '../../../shared/byte-rate';

/** The Gutenberg job's connection limits as typed: `--max-per-host` and `--item-timeout`, empty for none. */
export interface ConnectionLimits {
  maxPerHost: string;
  itemTimeout: string;
}

/**
 * The spec fields of the typed limits: absent when empty; a value that does not parse becomes -1,
 * so the host's check refuses it under its field (the form shows the problem, nothing starts); a
 * number out of range is sent as typed, for the host to name it.
 */
export function limitSpecFields(l: ConnectionLimits): { maxPerHost?: number; itemTimeoutMs?: number } {
  const perHost = l.maxPerHost.trim();
  return {
    ...(perHost ? { maxPerHost: /^\d+$/.test(perHost) ? Number(perHost) : -1 } : {}),
    ...(l.itemTimeout.trim() ? { itemTimeoutMs: parseDuration(l.itemTimeout) ?? -1 } : {}),
  };
}
