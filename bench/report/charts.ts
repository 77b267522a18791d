// SVG charts for the bench report: Vega-Lite specs compiled to Vega and rendered headless by vega's View with
// renderer 'none' (no DOM, no canvas: text widths are estimated, which is good enough for axis labels).
import { parse, View } from 'vega'
import { compile, type TopLevelSpec } from 'vega-lite'

export interface Bar {
  /** The category on the x axis (a scheme). */
  x: string
  /** The series within a category (e.g. 'carbon-blind'); bars of one category sit side by side. */
  series: string
  value: number
}

export interface BarChart {
  name: string
  title: string
  xTitle: string
  yTitle: string
  bars: Bar[]
  /** A horizontal rule, e.g. the raw-stream baseline. */
  rule?: { value: number, label: string }
  /** Log scale for figures spanning decades. */
  log?: boolean
}

/** Vega-Lite spec of a grouped bar chart: x = category, colour and x-offset = series. */
export function barChartSpec (chart: BarChart): TopLevelSpec {
  const categories = [...new Set(chart.bars.map(b => b.x))]
  const bars = {
    mark: { type: 'bar' as const, tooltip: true },
    encoding: {
      x: { field: 'x', type: 'nominal' as const, title: chart.xTitle, sort: categories, axis: { labelAngle: 0 } },
      xOffset: { field: 'series', type: 'nominal' as const },
      y: { field: 'value', type: 'quantitative' as const, title: chart.yTitle, ...(chart.log === true ? { scale: { type: 'log' as const } } : {}) },
      color: { field: 'series', type: 'nominal' as const, title: null }
    }
  }
  const layers: any[] = [bars]
  if (chart.rule !== undefined) {
    layers.push({
      data: { values: [chart.rule] },
      layer: [
        { mark: { type: 'rule', strokeDash: [4, 3] }, encoding: { y: { field: 'value', type: 'quantitative' } } },
        { mark: { type: 'text', align: 'left', dx: 4, dy: -6 }, encoding: { y: { field: 'value', type: 'quantitative' }, x: { value: 0 }, text: { field: 'label' } } }
      ]
    })
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: chart.title,
    width: Math.max(240, categories.length * 90),
    height: 220,
    data: { values: chart.bars },
    layer: layers
  } as TopLevelSpec
}

export async function renderSvg (spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile(spec).spec), { renderer: 'none' })
  try {
    return await view.toSVG()
  } finally {
    view.finalize()
  }
}

export async function renderBarChart (chart: BarChart): Promise<string> {
  return await renderSvg(barChartSpec(chart))
}
