package io.sparkattention.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkattention.cost.Prediction;
import io.sparkattention.fixtures.Launch;
import io.sparkattention.plan.Strategy;
import io.sparkattention.spark.InputException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/**
 * {@code --predict}'s options: the cluster description reaches the prediction, bad values are
 * refused naming the option, and the cluster options need {@code --predict}.
 */
class CostReportPredictOptionsTest {
  static Prediction.Settings settings(String... args) {
    CostReportJob job = new CostReportJob();
    new CommandLine(job).parseArgs(args);
    return job.predictionSettings();
  }

  /**
   * {@code --predict} with a cluster (3 executors of 4 cores and 4g) and {@code more} options,
   * which replace the defaults' values of the same options (picocli refuses an option twice).
   */
  static String[] predict(String... more) {
    Map<String, String> options = new LinkedHashMap<>();
    options.put("--output", "r");
    options.put("--executors", "3");
    options.put("--executor-cores", "4");
    options.put("--executor-memory", "4g");
    for (int i = 0; i + 1 < more.length; i += 2) {
      options.put(more[i], more[i + 1]);
    }
    List<String> a = new ArrayList<>(List.of("--predict"));
    options.forEach(
        (k, v) -> {
          a.add(k);
          a.add(v);
        });
    return a.toArray(String[]::new);
  }

  @Test
  void theClusterAndListsReachThePrediction() {
    Prediction.Settings s =
        settings(
            predict(
                "--lengths",
                "1048576,10000000",
                "--attention",
                "global,local,hard",
                "--window",
                "64,256",
                "--block-size",
                "512,1024",
                "--core-hour-price",
                "0.05",
                "--heads",
                "4"));
    assertEquals(3, s.cluster().executors());
    assertEquals(4, s.cluster().executorCores());
    assertEquals(4L << 30, s.cluster().executorMemoryBytes());
    assertEquals(0.05, s.cluster().coreHourPrice());
    assertEquals(List.of(1_048_576L, 10_000_000L), s.lengths());
    assertEquals(
        List.of(Prediction.Kind.GLOBAL, Prediction.Kind.LOCAL, Prediction.Kind.HARD), s.kinds());
    assertEquals(List.of(64, 256), s.windows());
    assertEquals(List.of(512, 1024), s.blockSizes());
    assertEquals(4, s.heads());
    assertTrue(s.strategies().contains(Strategy.WINDOW));
    assertTrue(Double.isNaN(settings(predict()).cluster().coreHourPrice()), "no price by default");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "--executors 0 | --executors must be >= 1, got 0",
        "--executor-cores -2 | --executor-cores must be >= 1, got -2",
        "--executor-memory 4x | --executor-memory: not a memory size: '4x' (a whole number with an"
            + " optional unit k, m, g or t, e.g. 4g)",
        "--executor-memory 300m | --executor-memory must exceed Spark's reserved 300 MiB, got 300m",
        "--core-hour-price -1 | --core-hour-price must be >= 0, got -1.0",
        "--lengths 10000001 | --lengths must be 1 to 10000000 with --predict, got [10000001]",
        "--attention sparse | --attention: unknown kind 'sparse' (valid with --predict: global,"
            + " causal, local, hard)",
        "--strategies blocks,auto | --strategies takes blocks, window, heads, single (not auto)",
        "--kv-heads 1 | --input, --kv-heads and --global-tokens are for measured reports; --predict"
            + " plans synthetic sequences of --lengths without projections or global tokens",
        "--global-tokens 4 | --input, --kv-heads and --global-tokens are for measured reports;"
            + " --predict plans synthetic sequences of --lengths without projections or global"
            + " tokens"
      })
  void badValuesAreRefusedNamingTheOption(String option, String message) {
    InputException e =
        assertThrows(InputException.class, () -> settings(predict(option.split(" "))));
    assertEquals(message, e.getMessage());
  }

  @Test
  void aMissingClusterValueIsNamed() {
    InputException e =
        assertThrows(
            InputException.class, () -> settings("--predict", "--output", "r", "--executors", "2"));
    assertEquals(
        "--predict needs the cluster: --executors E --executor-cores C --executor-memory M"
            + " (missing --executor-cores, --executor-memory)",
        e.getMessage());
  }

  @Test
  void clusterOptionsNeedPredictAndListsOneValueWithoutIt() {
    InputException cluster =
        assertThrows(
            InputException.class,
            () -> CostReportOptionsTest.settings("--output", "r", "--executors", "2"));
    assertTrue(cluster.getMessage().contains("describe a cluster for --predict"));
    InputException lists =
        assertThrows(
            InputException.class,
            () -> CostReportOptionsTest.settings("--output", "r", "--window", "16,32"));
    assertEquals(
        "--window and --block-size take one value each without --predict, got [16, 32] and"
            + " [1024]",
        lists.getMessage());
  }

  @Test
  void anUnparsableClusterValueIsAUsageError() {
    Launch l = Launch.execute(new CostReportJob(), predict("--executors", "many").clone());
    assertEquals(JobLauncher.USAGE_ERROR, l.code());
    assertTrue(l.err().contains("--executors") && l.err().contains("many"), l.err());
  }

  @Test
  void aMissingCalibrationFileIsNamed() {
    Launch l =
        Launch.execute(
            new CostReportJob(),
            predict(
                "--calibration",
                Path.of("no-such-dir", "calibration.properties").toString(),
                "--output",
                Path.of("target", "no-predict-out").toString()));
    assertEquals(JobLauncher.USAGE_ERROR, l.code());
    assertTrue(l.err().contains("--calibration: no such file"), l.err());
  }
}
