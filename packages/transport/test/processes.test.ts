import { killAll, spawnTs } from '@qms/test-utils'
import { afterEach, describe, expect, it } from 'vitest'

const fixture = 'packages/transport/test/fixtures/protocol-echo.ts'

afterEach(() => killAll())

describe('spawnTs', () => {
  it('runs a TypeScript file that imports a workspace package from its source', async () => {
    const child = spawnTs(fixture, ['--name', 'alpha'])
    const [, args, critical, code] = await child.waitForLine(/^ready args=(.*) critical=(\d+) code=(\S+)$/, 20_000)
    expect(JSON.parse(args!)).toEqual(['--name', 'alpha'])
    expect(critical).toBe('255')
    expect(code).toBe('ERR_FIXTURE')
    const [, resolved] = await child.waitForLine(/^resolved (.*)$/)
    expect(resolved).toMatch(/\/packages\/protocol\/src\/index\.ts$/)
  })

  it('keeps stdout and stderr lines apart and matches lines printed before the wait', async () => {
    const child = spawnTs(fixture)
    await child.waitForLine(/^ready/, 20_000)
    child.send('hello')
    await child.waitForLine(/^echo hello$/)
    expect(child.stdout).toContain('echo hello')
    expect(child.stdout).not.toContain('a line on stderr')
    await expect(child.waitForLine(/^ready/)).resolves.toBeTruthy()
  })

  it('reports the exit code, and rejects a wait that the exit made hopeless', async () => {
    const child = spawnTs(fixture)
    await child.waitForLine(/^ready/, 20_000)
    const hopeless = child.waitForLine(/^never printed$/, 20_000)
    child.send('exit')
    await expect(hopeless).rejects.toThrow(/exited \(code 3/)
    expect(await child.exited).toEqual({ code: 3, signal: null })
    expect(child.stderr).toContain('a line on stderr')
  })

  it('times out a wait for a line that never comes, showing recent output', async () => {
    const child = spawnTs(fixture)
    await child.waitForLine(/^ready/, 20_000)
    await expect(child.waitForLine(/^never printed$/, 200)).rejects.toThrow(/within 200 ms[\s\S]*out\| ready/)
  })

  it('escalates to SIGKILL when a child ignores SIGTERM', async () => {
    const child = spawnTs(fixture, ['--ignore-sigterm'])
    await child.waitForLine(/^ready/, 20_000)
    expect(await child.kill('SIGTERM', 300)).toEqual({ code: null, signal: 'SIGKILL' })
    expect(child.stdout).toContain('ignoring SIGTERM')
  })

  it('killAll ends every child still running', async () => {
    const children = [spawnTs(fixture), spawnTs(fixture)]
    await Promise.all(children.map((c) => c.waitForLine(/^ready/, 20_000)))
    await killAll()
    for (const c of children) expect(c.exitInfo).toEqual({ code: null, signal: 'SIGTERM' })
  })
})
