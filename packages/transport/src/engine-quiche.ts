/**
 * The quiche engine (quiche 0.18 + BoringSSL) as compiled into `@matrixai/quic-linux-x64`. This is the only file in
 * the project that imports the native binding; everything else sees the {@link Engine} interface.
 */
import quicheModule from '@matrixai/quic/native/quiche.js'
import type {
  Engine,
  EngineAddress,
  EngineConfig,
  EngineConfigOptions,
  EngineConnection,
  EngineHeader,
} from './engine.js'

type Quiche = typeof quicheModule
type NativeConfig = InstanceType<Quiche['Config']>

const quiche: Quiche = (quicheModule as unknown as { default?: Quiche }).default ?? quicheModule

class QuicheConfig implements EngineConfig {
  constructor(
    readonly options: EngineConfigOptions,
    readonly native: NativeConfig,
  ) {}
}

function buildConfig(o: EngineConfigOptions): QuicheConfig {
  const c = quiche.Config.withBoringSslCtx(
    o.verifyPeer,
    false,
    o.ca ?? null,
    o.key ? [o.key] : null,
    o.cert ? [o.cert] : null,
    null,
  )
  c.setApplicationProtos(o.alpn)
  c.setMaxIdleTimeout(o.idleTimeoutMs)
  c.setMaxSendUdpPayloadSize(o.maxSendUdpPayload)
  c.setMaxRecvUdpPayloadSize(o.maxRecvUdpPayload)
  c.setInitialMaxData(o.connectionWindow)
  c.setInitialMaxStreamDataBidiLocal(o.streamWindow)
  c.setInitialMaxStreamDataBidiRemote(o.streamWindow)
  c.setInitialMaxStreamDataUni(o.streamWindow)
  c.setInitialMaxStreamsBidi(o.maxStreamsBidi)
  c.setInitialMaxStreamsUni(o.maxStreamsUni)
  // Windows may grow to 4x their initial size as quiche's autotuning sees fast readers.
  c.setMaxConnectionWindow(Math.max(o.connectionWindow * 4, o.connectionWindow))
  c.setMaxStreamWindow(Math.max(o.streamWindow * 4, o.streamWindow))
  c.setDisableActiveMigration(true)
  c.setCcAlgorithmName(o.congestionControl)
  if (o.datagrams) c.enableDgram(true, 1024, 1024)
  if (o.earlyData) c.enableEarlyData()
  if (o.ticketKey) c.setTicketKey(o.ticketKey)
  return new QuicheConfig(o, c)
}

function native(config: EngineConfig): NativeConfig {
  if (!(config instanceof QuicheConfig)) throw new TypeError('config was not created by the quiche engine')
  return config.native
}

/** The quiche engine. */
export const quicheEngine: Engine = {
  name: 'quiche',
  maxConnIdLen: quiche.MAX_CONN_ID_LEN,
  protocolVersion: quiche.PROTOCOL_VERSION,
  createConfig: buildConfig,
  connect(serverName: string, scid: Uint8Array, local: EngineAddress, remote: EngineAddress, config: EngineConfig) {
    return quiche.Connection.connect(serverName, scid, local, remote, native(config)) as unknown as EngineConnection
  },
  accept(
    scid: Uint8Array,
    odcid: Uint8Array | null,
    local: EngineAddress,
    remote: EngineAddress,
    config: EngineConfig,
  ) {
    return quiche.Connection.accept(scid, odcid, local, remote, native(config)) as unknown as EngineConnection
  },
  parseHeader(packet: Uint8Array, dcidLen: number): EngineHeader | null {
    try {
      const h = quiche.Header.fromSlice(packet, dcidLen)
      return { type: h.ty as number, version: h.version, dcid: h.dcid, scid: h.scid, token: h.token }
    } catch {
      return null
    }
  },
  versionIsSupported: (v: number) => quiche.versionIsSupported(v),
  negotiateVersion: (scid: Uint8Array, dcid: Uint8Array, out: Uint8Array) => quiche.negotiateVersion(scid, dcid, out),
  retry: (scid, dcid, newScid, token, version, out) => quiche.retry(scid, dcid, newScid, token, version, out),
}
