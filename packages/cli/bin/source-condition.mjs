// Module resolution hook: resolve workspace packages through their `source` export condition (their src/*.ts),
// as `node --conditions=source` would.
export async function resolve(specifier, context, nextResolve) {
  const conditions = context.conditions.includes('source') ? context.conditions : [...context.conditions, 'source']
  return nextResolve(specifier, { ...context, conditions })
}
