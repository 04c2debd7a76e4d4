package io.bitnet4j.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;

/**
 * The chart of docs/kernels.md's "Whole layers in bench --dense-baseline": milliseconds per token for every
 * layer's matrices against the token count (both on log scales), a line per engine and thread count, from the JSON of
 * {@code bitnet4j bench --dense-baseline -o json} (one or more files).
 * Usage: DenseBaselineChart OUT.png TITLE RESULTS.json...
 */
public final class DenseBaselineChart {
    public static void main(String[] args) throws Exception {
        if (args.length < 3) throw new IllegalArgumentException("usage: DenseBaselineChart OUT.png TITLE RESULTS.json...");
        Map<String, Map<Integer, Double>> bySeries = new LinkedHashMap<>();
        for (int i = 2; i < args.length; i++)
            for (JsonNode row : new ObjectMapper().readTree(Path.of(args[i]).toFile())) {
                int t = row.get("n_tokens").asInt();
                String threads = ", " + row.get("n_threads").asInt() + " thread(s)";
                bySeries.computeIfAbsent("ternary (" + row.get("kernels").asText() + ")" + threads, s -> new LinkedHashMap<>())
                        .put(t, row.get("ternary_model_ms_per_token").asDouble());
                bySeries.computeIfAbsent("F32 (OpenBLAS)" + threads, s -> new LinkedHashMap<>())
                        .put(t, row.get("dense_model_ms_per_token").asDouble());
            }
        XYChart chart = new XYChartBuilder().width(1000).height(620).title(args[1])
                .xAxisTitle("tokens per pass (log scale)").yAxisTitle("ms per token, every layer's matrices (log scale)").build();
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setYAxisLogarithmic(true);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        bySeries.forEach((series, values) -> chart.addSeries(series, new ArrayList<>(values.keySet()), new ArrayList<>(values.values())));
        BitmapEncoder.saveBitmap(chart, args[0], BitmapEncoder.BitmapFormat.PNG);
    }
}
