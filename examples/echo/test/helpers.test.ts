import { QmsError } from '@quic-multistream/transport'
import { describe, expect, it } from 'vitest'
import { Columns, ExitCode, exitCodeFor, formatAddress, parseAddress, parseInteger } from '../src/index.js'

describe('parseAddress', () => {
  it('reads IPv4 addresses, host names and bracketed IPv6 addresses', () => {
    expect(parseAddress('127.0.0.1:4433')).toEqual({ host: '127.0.0.1', port: 4433 })
    expect(parseAddress('localhost:1')).toEqual({ host: 'localhost', port: 1 })
    expect(parseAddress('[::1]:65535')).toEqual({ host: '::1', port: 65535 })
  })

  it.each([
    ['127.0.0.1', 'no port'],
    ['127.0.0.1:', 'empty port'],
    ['127.0.0.1:0', 'port 0'],
    ['127.0.0.1:65536', 'port above 65535'],
    ['127.0.0.1:44x', 'port with a letter'],
    ['::1:4433', 'IPv6 without brackets'],
    ['[127.0.0.1]:4433', 'IPv4 in brackets'],
    [':4433', 'no host'],
  ])('rejects %s (%s) with ERR_INVALID_ARGUMENT', (text) => {
    expect(() => parseAddress(text)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }))
  })

  it('formats addresses so that they parse back, IPv6 in brackets', () => {
    for (const address of [
      { host: '10.0.0.7', port: 4433 },
      { host: '::1', port: 1 },
    ]) {
      expect(parseAddress(formatAddress(address))).toEqual(address)
    }
    expect(formatAddress({ host: '::', port: 4433 })).toBe('[::]:4433')
  })
})

describe('parseInteger', () => {
  it('accepts whole numbers in range and names the flag when refusing others', () => {
    expect(parseInteger('10', 'count', 1, 10)).toBe(10)
    for (const bad of ['0', '11', '-1', '1.5', '1e3', '', ' 5']) {
      expect(() => parseInteger(bad, 'count', 1, 10)).toThrow(/--count/)
    }
  })
})

describe('exitCodeFor', () => {
  it('maps argument, reachability and TLS failures to distinct exit codes', () => {
    const err = (code: string) => new QmsError(code, code)
    expect(exitCodeFor(err('ERR_INVALID_ARGUMENT'))).toBe(ExitCode.USAGE)
    expect(exitCodeFor(err('ERR_TLS_BAD_PIN'))).toBe(ExitCode.USAGE)
    expect(exitCodeFor(Object.assign(new TypeError('x'), { code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION' }))).toBe(2)
    expect(exitCodeFor(err('ERR_CONNECT_TIMEOUT'))).toBe(ExitCode.UNREACHABLE)
    expect(exitCodeFor(err('ERR_CONNECTION_REFUSED'))).toBe(ExitCode.UNREACHABLE)
    expect(exitCodeFor(err('ERR_TLS_PIN_MISMATCH'))).toBe(ExitCode.TLS)
    expect(exitCodeFor(err('ERR_TLS_CERT_EXPIRED'))).toBe(ExitCode.TLS)
    expect(exitCodeFor(err('ERR_CONNECTION_CLOSED'))).toBe(ExitCode.FAILED)
    expect(exitCodeFor(new Error('no code'))).toBe(ExitCode.FAILED)
  })
})

describe('Columns', () => {
  it('right-aligns by default, left-aligns text columns, and never cuts a wide cell', () => {
    const table = new Columns([
      { header: 'ms', width: 5 },
      { header: 'event', width: 6, align: 'left' },
      { header: 'n', width: 3 },
    ])
    expect(table.header()).toBe('   ms  event     n')
    expect(table.row('1.5', 'start', 7)).toBe('  1.5  start     7')
    expect(table.row('123456', 'x', 1)).toBe('123456  x         1')
  })
})
