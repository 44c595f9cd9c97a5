import type { z } from 'zod'
import { ProtocolErrorCode, QmsError } from './errors.js'

/** A typed message: its type name and a body of that type. */
export interface Message<Name extends string = string, T = unknown> {
  readonly type: Name
  readonly body: T
}

/**
 * A message type: a name plus the zod schema of its body. `Out` is what a receiver gets after parsing, `In` what a
 * sender passes; they differ only when the schema transforms or defaults values. Bodies travel in their `In` form
 * and are parsed on arrival, so transforms and defaults are applied once, by the receiver.
 */
export interface MessageDef<Name extends string = string, Out = unknown, In = Out> {
  /** The type name carried in `Envelope.type`. */
  readonly type: Name
  /** The body's schema. */
  readonly schema: z.ZodType<Out, In>
  /**
   * Checks `body` and pairs it with the type name, ready to send.
   * @throws QmsError `ERR_SCHEMA` when the body does not match the schema.
   */
  of(body: In): Message<Name, In>
  /**
   * Validates a received body and returns the parsed value.
   * @throws QmsError `ERR_SCHEMA` with the zod issues in `details.issues`.
   */
  parse(body: unknown): Out
  /** True when `msg` is `{ type, body }` of this type with a body that matches the schema. */
  is(msg: unknown): msg is Message<Name, In>
}

/** Any message definition, whatever its name and body type. */
export type AnyMessageDef = MessageDef<string, unknown, unknown>

/** The body type a handler of `D` receives (the schema's output). */
export type Infer<D> = D extends MessageDef<string, infer Out, infer _In> ? Out : never

/** The body type a sender of `D` passes (the schema's input; equal to {@link Infer} unless the schema transforms). */
export type InferInput<D> = D extends MessageDef<string, infer _Out, infer In> ? In : never

/** The type name of `D` as a string literal type. */
export type TypeName<D> = D extends MessageDef<infer Name, infer _Out, infer _In> ? Name : never

function schemaError(type: string, error: z.ZodError): QmsError {
  const summary = error.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.map(String).join('.') : '(root)'}: ${i.message}`)
    .join('; ')
  const more = error.issues.length > 3 ? ` (+${error.issues.length - 3} more)` : ''
  return new QmsError(ProtocolErrorCode.SCHEMA, `body of "${type}" does not match its schema: ${summary}${more}`, {
    cause: error,
    details: { type, issues: error.issues },
  })
}

/**
 * Declares a message type. The returned definition is what typed senders and handlers take, so a body of the wrong
 * shape is a compile error at the call site:
 *
 * ```ts
 * const Task = defineMessage('task.run', z.object({ id: z.string(), steps: z.number().int() }))
 * Task.of({ id: 't1', steps: 3 })   // ok
 * Task.of({ id: 't1' })             // type error: `steps` is missing
 * ```
 */
export function defineMessage<Name extends string, S extends z.ZodType>(
  type: Name,
  schema: S,
): MessageDef<Name, z.output<S>, z.input<S>> {
  const parse = (body: unknown): z.output<S> => {
    const r = schema.safeParse(body)
    if (!r.success) throw schemaError(type, r.error)
    return r.data
  }
  return Object.freeze({
    type,
    // S is a ZodType whose output/input are exactly these; TypeScript cannot see that through the generic.
    schema: schema as z.ZodType<z.output<S>, z.input<S>>,
    of(body: z.input<S>): Message<Name, z.input<S>> {
      parse(body)
      return { type, body }
    },
    parse,
    is(msg: unknown): msg is Message<Name, z.input<S>> {
      if (typeof msg !== 'object' || msg === null) return false
      const m = msg as { type?: unknown; body?: unknown }
      return m.type === type && schema.safeParse(m.body).success
    },
  })
}

/** Options of a {@link MessageRegistry}. */
export interface MessageRegistryOptions {
  /**
   * Validate outgoing bodies too. Catches a sender's bug where it happens instead of at the receiver; costs one
   * schema pass per message. Default: on unless `NODE_ENV` is `production`.
   */
  validateOnEncode?: boolean
}

/** The message types one agent understands, keyed by type name. Receivers decode every typed body through it. */
export class MessageRegistry {
  /** Whether {@link MessageRegistry.encodeBody} validates. */
  readonly validateOnEncode: boolean
  readonly #defs = new Map<string, AnyMessageDef>()

  constructor(defs: readonly AnyMessageDef[] = [], options: MessageRegistryOptions = {}) {
    this.validateOnEncode =
      options.validateOnEncode ?? (typeof process === 'undefined' || process.env.NODE_ENV !== 'production')
    for (const d of defs) this.add(d)
  }

  /**
   * Registers a definition. Adding the same definition twice is a no-op.
   * @throws QmsError `ERR_DUPLICATE_TYPE` when a different definition already uses the name.
   */
  add(def: AnyMessageDef): this {
    const existing = this.#defs.get(def.type)
    if (existing !== undefined && existing !== def) {
      throw new QmsError(ProtocolErrorCode.DUPLICATE_TYPE, `message type "${def.type}" is already registered`, {
        details: { type: def.type },
      })
    }
    this.#defs.set(def.type, def)
    return this
  }

  /** The definition registered under `type`, if any. */
  get(type: string): AnyMessageDef | undefined {
    return this.#defs.get(type)
  }

  /** Whether `type` is registered. */
  has(type: string): boolean {
    return this.#defs.has(type)
  }

  /** Registered type names, in registration order. */
  types(): string[] {
    return [...this.#defs.keys()]
  }

  /**
   * Validates a received body against its type's schema and returns the parsed value.
   * @throws QmsError `ERR_UNKNOWN_TYPE` for an unregistered type, `ERR_SCHEMA` for a body that does not match.
   */
  decodeBody(type: string, body: unknown): unknown {
    return this.#require(type).parse(body)
  }

  /**
   * Returns the body to put on the wire: `body` itself, unchanged (transforms are the receiver's business). When
   * {@link MessageRegistryOptions.validateOnEncode} is on, checks it first.
   * @throws QmsError `ERR_UNKNOWN_TYPE` / `ERR_SCHEMA`, only when validating.
   */
  encodeBody(type: string, body: unknown): unknown {
    if (!this.validateOnEncode) return body
    const r = this.#require(type).schema.safeParse(body)
    if (!r.success) throw schemaError(type, r.error)
    return body
  }

  #require(type: string): AnyMessageDef {
    const def = this.#defs.get(type)
    if (def === undefined) {
      throw new QmsError(ProtocolErrorCode.UNKNOWN_TYPE, `unknown message type "${type}"`, { details: { type } })
    }
    return def
  }
}
