package io.sparkattention.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkattention.cost.PredictionReport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cost-report --predict} in a JVM of its own, which lists every class it loads: it writes
 * the predicted report and never starts Spark (no SparkContext, SparkEnv or DAGScheduler class is
 * ever loaded; SparkSession's class may be, as the job's other mode names it).
 */
class CostReportPredictNoSparkTest {
  @TempDir Path dir;

  @Test
  void predictWritesTheReportWithoutStartingSpark() throws Exception {
    Path out = dir.resolve("predicted");
    Path log = dir.resolve("child.log");
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("@" + Path.of("conf", "jvm-options.txt").toAbsolutePath());
    command.add("-Xmx512m");
    command.add("-XX:+UseSerialGC");
    command.add("-verbose:class");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(CostReportJob.class.getName());
    command.addAll(
        List.of(
            "--predict",
            "--output",
            out.toString(),
            "--lengths",
            "2048,8192",
            "--d-model",
            "16",
            "--block-size",
            "128,256",
            "--window",
            "16",
            "--executors",
            "2",
            "--executor-cores",
            "2",
            "--executor-memory",
            "1g",
            "--core-hour-price",
            "0.05"));
    Process p =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the prediction finished");
    String text = Files.readString(log);
    assertEquals(0, p.exitValue(), text);
    for (String started :
        List.of(
            "org.apache.spark.SparkContext ",
            "org.apache.spark.SparkEnv ",
            "org.apache.spark.scheduler.DAGScheduler ")) {
      assertFalse(text.contains(started), started.trim() + " was loaded: Spark started");
    }
    assertTrue(text.contains("org.apache.spark.sql.SparkSession "), "the check sees Spark classes");
    List<String> csv = Files.readAllLines(out.resolve("results.csv"));
    assertEquals(String.join(",", PredictionReport.HEADER), csv.get(0));
    String md = Files.readString(out.resolve("report.md"));
    assertTrue(md.contains("## What it would choose"), md);
    assertTrue(md.contains("kernel measured now on this machine"), md);
    assertTrue(text.contains("global n=8192: blocks with blocks of"), text);
  }
}
