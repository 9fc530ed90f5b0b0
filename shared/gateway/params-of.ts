/**
 * The TypeScript type of an action's params, derived from its fastest-validator schema (declared
 * `as const`), so each input shape is written once: `ParamsOf<typeof schema>`. Covers the rules the
 * actions use (string, number, boolean, enum, object with props, array, any, shorthand `'type|optional'`);
 * anything else is `unknown`.
 */
type Shorthand<T extends string> = T extends `${infer Base}|${string}` ? Base : T;

type Scalar<T extends string> = T extends 'string'
  ? string
  : T extends 'number'
    ? number
    : T extends 'boolean'
      ? boolean
      : T extends 'object'
        ? Record<string, unknown>
        : T extends 'array'
          ? unknown[]
          : unknown;

type RuleType<R> = R extends string
  ? Scalar<Shorthand<R>>
  : R extends { type: 'enum'; values: readonly (infer V)[] }
    ? V
    : R extends { type: 'object'; props: infer P }
      ? ParamsOf<P>
      : R extends { type: 'array'; items: infer I }
        ? RuleType<I>[]
        : R extends { type: infer T extends string }
          ? Scalar<T>
          : unknown;

type IsOptional<R> = R extends string ? (R extends `${string}|optional${string}` ? true : false) : R extends { optional: true } ? true : false;

type RequiredKeys<S> = { [K in keyof S]: IsOptional<S[K]> extends true ? never : K }[keyof S];
type OptionalKeys<S> = { [K in keyof S]: IsOptional<S[K]> extends true ? K : never }[keyof S];

export type ParamsOf<S> = S extends object
  ? { readonly [K in RequiredKeys<S>]: RuleType<S[K]> } & { readonly [K in OptionalKeys<S>]?: RuleType<S[K]> }
  : never;
