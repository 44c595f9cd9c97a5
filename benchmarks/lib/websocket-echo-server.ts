/**
 * The reference the browser bench compares WebTransport with: Chromium's own WebSocket against a `ws` echo server
 * (with bufferutil, as the peer suite runs it) on 127.0.0.1, the transport most pages use today.
 */
import { WebSocketServer } from 'ws'

export interface WebSocketEchoServer {
  /** `ws://127.0.0.1:<port>` */
  url: string
  close(): Promise<void>
}

export async function startWebSocketEchoServer(): Promise<WebSocketEchoServer> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false })
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve)
    wss.once('error', reject)
  })
  wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })))
  const { port } = wss.address() as { port: number }
  return {
    url: `ws://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate()
        wss.close(() => resolve())
      }),
  }
}
