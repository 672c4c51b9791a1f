// A validator for the JSON Schema subset the vector schemas use. It refuses any keyword it does
// not implement, so a schema can never be silently half-checked.
type Schema = Record<string, unknown>;

const KNOWN = new Set([
  '$schema',
  'title',
  'description',
  'definitions',
  '$ref',
  'type',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'minItems',
  'enum',
  'const',
  'pattern',
  'minimum',
  'maximum',
  'oneOf',
]);

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function typeMatches(v: unknown, t: string): boolean {
  const actual = typeOf(v);
  return actual === t || (t === 'number' && actual === 'integer');
}

/** Returns error messages (empty when `value` conforms). */
export function validate(value: unknown, schema: Schema, root: Schema = schema, path = '$'): string[] {
  for (const k of Object.keys(schema)) {
    if (!KNOWN.has(k)) throw new Error(`schema keyword "${k}" at ${path} is not supported by this validator`);
  }
  if (typeof schema['$ref'] === 'string') {
    const ref = schema['$ref'];
    const m = /^#\/definitions\/(.+)$/.exec(ref);
    const defs = root['definitions'] as Record<string, Schema> | undefined;
    const target = m ? defs?.[m[1]!] : undefined;
    if (!target) throw new Error(`unresolvable $ref ${ref}`);
    return validate(value, target, root, path);
  }
  const errors: string[] = [];
  if (schema['type'] !== undefined) {
    const types = Array.isArray(schema['type']) ? (schema['type'] as string[]) : [schema['type'] as string];
    if (!types.some((t) => typeMatches(value, t))) return [`${path}: expected ${types.join('|')}, got ${typeOf(value)}`];
  }
  if ('const' in schema && value !== schema['const']) errors.push(`${path}: expected ${JSON.stringify(schema['const'])}`);
  if (Array.isArray(schema['enum']) && !(schema['enum'] as unknown[]).includes(value)) {
    errors.push(`${path}: expected one of ${JSON.stringify(schema['enum'])}`);
  }
  if (typeof value === 'string' && typeof schema['pattern'] === 'string' && !new RegExp(schema['pattern'], 'u').test(value)) {
    errors.push(`${path}: does not match ${schema['pattern']}`);
  }
  if (typeof value === 'number') {
    if (typeof schema['minimum'] === 'number' && value < schema['minimum']) errors.push(`${path}: below ${schema['minimum']}`);
    if (typeof schema['maximum'] === 'number' && value > schema['maximum']) errors.push(`${path}: above ${schema['maximum']}`);
  }
  if (Array.isArray(value)) {
    if (typeof schema['minItems'] === 'number' && value.length < schema['minItems']) errors.push(`${path}: fewer than ${schema['minItems']} items`);
    if (schema['items'] !== undefined) {
      value.forEach((item, i) => errors.push(...validate(item, schema['items'] as Schema, root, `${path}[${i}]`)));
    }
  }
  if (typeOf(value) === 'object') {
    const obj = value as Record<string, unknown>;
    const props = (schema['properties'] ?? {}) as Record<string, Schema>;
    for (const r of (schema['required'] ?? []) as string[]) {
      if (!(r in obj)) errors.push(`${path}: missing required property "${r}"`);
    }
    for (const [k, v] of Object.entries(obj)) {
      const p = `${path}.${k}`;
      if (Object.hasOwn(props, k)) errors.push(...validate(v, props[k]!, root, p));
      else if (schema['additionalProperties'] === false) errors.push(`${p}: property not allowed`);
      else if (typeof schema['additionalProperties'] === 'object') {
        errors.push(...validate(v, schema['additionalProperties'] as Schema, root, p));
      }
    }
  }
  if (Array.isArray(schema['oneOf'])) {
    const matching = (schema['oneOf'] as Schema[]).filter((s) => validate(value, s, root, path).length === 0).length;
    if (matching !== 1) errors.push(`${path}: matches ${matching} of the oneOf alternatives, expected exactly 1`);
  }
  return errors;
}
