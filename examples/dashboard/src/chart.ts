/** A rolling line chart on a canvas: the last `capacity` values of one series, scaled to their own maximum. */
export class LineChart {
  readonly #canvas: HTMLCanvasElement
  readonly #values: number[] = []
  readonly #capacity: number
  readonly #color: string
  readonly #format: (v: number) => string

  constructor(
    canvas: HTMLCanvasElement,
    options: { color: string; capacity?: number; format?: (v: number) => string },
  ) {
    this.#canvas = canvas
    this.#color = options.color
    this.#capacity = options.capacity ?? 60
    this.#format = options.format ?? ((v) => v.toFixed(0))
  }

  push(value: number): void {
    this.#values.push(Number.isFinite(value) ? value : 0)
    if (this.#values.length > this.#capacity) this.#values.shift()
    this.draw()
  }

  draw(): void {
    const ctx = this.#canvas.getContext('2d')
    if (!ctx) return
    const { width, height } = this.#canvas
    ctx.clearRect(0, 0, width, height)
    ctx.strokeStyle = '#2a3340'
    ctx.lineWidth = 1
    for (let i = 1; i < 4; i++) {
      const y = Math.round((height * i) / 4) + 0.5
      ctx.beginPath()
      ctx.moveTo(0, y)
      ctx.lineTo(width, y)
      ctx.stroke()
    }
    const max = Math.max(1e-9, ...this.#values)
    const step = width / Math.max(1, this.#capacity - 1)
    const x0 = width - step * (this.#values.length - 1)
    ctx.strokeStyle = this.#color
    ctx.lineWidth = 2
    ctx.beginPath()
    this.#values.forEach((v, i) => {
      const x = x0 + i * step
      const y = height - 4 - (v / max) * (height - 20)
      if (i === 0) ctx.moveTo(x, y)
      else ctx.lineTo(x, y)
    })
    ctx.stroke()
    ctx.fillStyle = '#8b98a9'
    ctx.font = '11px system-ui, sans-serif'
    ctx.fillText(`max ${this.#format(max)}`, 6, 13)
  }
}
