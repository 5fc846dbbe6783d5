/**
 * Tiny runtime checkers for what crosses the wire. Each method's params are declared with
 * these beside its entry in the protocol, so both transports refuse malformed requests the
 * same way, before any handler runs, with a message naming the field.
 */
import { MlsnapError } from './errors';

/** Returns the value typed, or throws a `bad-request` naming the field. */
export type Check<T> = (value: unknown, field: string) => T;

function refuse(field: string, what: string): never {
  throw new MlsnapError('bad-request', `"${field}" must be ${what}`);
}

/** A non-empty string (paths, refs, names). */
export const str: Check<string> = (v, field) =>
  typeof v === 'string' && v !== '' ? v : refuse(field, 'a non-empty string');

/** Any string, empty allowed (messages). */
export const text: Check<string> = (v, field) => (typeof v === 'string' ? v : refuse(field, 'a string'));

export const bool: Check<boolean> = (v, field) => (typeof v === 'boolean' ? v : refuse(field, 'true or false'));

/** An integer of at least `min`. */
export function int(min: number): Check<number> {
  return (v, field) =>
    typeof v === 'number' && Number.isInteger(v) && v >= min ? v : refuse(field, `an integer of at least ${min}`);
}

export function oneOf<const T extends readonly string[]>(...values: T): Check<T[number]> {
  return (v, field) =>
    typeof v === 'string' && values.includes(v)
      ? (v as T[number])
      : refuse(field, values.map((x) => `"${x}"`).join(' or '));
}

export function arrayOf<T>(item: Check<T>): Check<T[]> {
  return (v, field) => {
    if (!Array.isArray(v)) refuse(field, 'an array');
    return v.map((x, i) => item(x, `${field}[${i}]`));
  };
}

/** Marks a field as optional: absent (undefined) passes through. */
export interface Optional<T> {
  optional: Check<T>;
}

export function optional<T>(check: Check<T>): Optional<T> {
  return { optional: check };
}

type Shape = Record<string, Check<unknown> | Optional<unknown>>;
type Required<S extends Shape> = {
  [K in keyof S as S[K] extends Optional<unknown> ? never : K]: S[K] extends Check<infer T> ? T : never;
};
type Optionals<S extends Shape> = {
  [K in keyof S as S[K] extends Optional<unknown> ? K : never]?: S[K] extends Optional<infer T> ? T : never;
};
export type Checked<S extends Shape> = Required<S> & Optionals<S>;

/**
 * A JSON object with the given fields. Fields not declared are dropped, so handlers only
 * ever see what the protocol names.
 */
export function obj<S extends Shape>(shape: S): Check<Checked<S>> {
  return (v, field) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) refuse(field, 'a JSON object');
    const input = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [key, spec] of Object.entries(shape)) {
      const value = input[key];
      const name = field === 'params' ? key : `${field}.${key}`;
      if ('optional' in spec) {
        if (value !== undefined && value !== null) out[key] = spec.optional(value, name);
      } else {
        out[key] = spec(value, name);
      }
    }
    return out as Checked<S>;
  };
}

/** Plain JSON object of string/number/boolean/array values (editor settings), passed on as is. */
export const record: Check<Record<string, unknown>> = (v, field) =>
  typeof v === 'object' && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : refuse(field, 'a JSON object');

/** `v` as a plain object, or null: for reading untrusted JSON without casts. */
export function asRecord(v: unknown): Record<string, unknown> | null {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}
