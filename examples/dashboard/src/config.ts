/** What the dashboard server tells its page (`/config.json`). */
export interface DashboardConfig {
  /** WebTransport URL of the gateway agent, `https://127.0.0.1:port/mesh`. */
  url: string
  /** Hex SHA-256 of the gateway's certificate. */
  certificateHash: string
  /** The gateway agent's id. */
  gateway: string
  /** The mesh's shared token, when it has one. */
  token?: string
  /** Page agents are named `<pagePrefix>-<random>`. */
  pagePrefix: string
  /** Redraw interval. */
  refreshMs: number
}
