package io.sparkattention.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkattention.fixtures.Launch;
import io.sparkattention.kernel.MatrixEngine;
import io.sparkattention.spark.InputException;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

/** The {@code --engine} option: validation, and what it sets for the driver and executors. */
class EngineChoiceTest {

  @Test
  void knownEnginesInAnyCase() {
    assertEquals("auto", EngineChoice.validate("auto"));
    assertEquals("ejml", EngineChoice.validate("EJML"));
    assertEquals("blas", EngineChoice.validate(" blas "));
    assertEquals("blas-java", EngineChoice.validate("Blas-Java"));
  }

  @Test
  void unknownEngineNamesTheOptionAndTheKnownOnes() {
    InputException e = assertThrows(InputException.class, () -> EngineChoice.validate("cuda"));
    assertTrue(e.getMessage().startsWith("--engine: unknown matrix engine 'cuda'"), e.getMessage());
    assertTrue(e.getMessage().contains("ejml, blas, blas-java"), e.getMessage());
  }

  @Test
  void attentionJobRefusesAnUnknownEngineBeforeStartingSpark() {
    Launch l =
        Launch.execute(
            new AttentionJob(),
            "--input",
            "in.parquet",
            "--output",
            "out",
            "--attention",
            "global",
            "--engine",
            "gpu");
    assertEquals(JobLauncher.USAGE_ERROR, l.code());
    assertTrue(l.err().startsWith("error: --engine: unknown matrix engine 'gpu'"), l.err());
  }

  @Test
  void applySetsTheDriverPropertyForEnginesOtherThanAuto() {
    MatrixEngine.defaultEngine(); // this JVM's choice is made; the property no longer changes it
    String before = System.getProperty(EngineChoice.PROPERTY);
    try {
      System.clearProperty(EngineChoice.PROPERTY);
      EngineChoice.apply("auto", SparkSession.builder());
      assertNull(System.getProperty(EngineChoice.PROPERTY));
      EngineChoice.apply("EJML", SparkSession.builder());
      assertEquals("ejml", System.getProperty(EngineChoice.PROPERTY));
    } finally {
      restore(EngineChoice.PROPERTY, before);
    }
  }

  @Test
  void executorOptionsKeepWhatWasThere() {
    assertEquals(
        "--add-opens=a -Dsparkattention.engine=blas",
        EngineChoice.executorOptions("--add-opens=a", "blas"));
    assertEquals("-Dsparkattention.engine=ejml", EngineChoice.executorOptions("", "ejml"));
  }

  private static void restore(String key, String value) {
    if (value == null) {
      System.clearProperty(key);
    } else {
      System.setProperty(key, value);
    }
  }
}
