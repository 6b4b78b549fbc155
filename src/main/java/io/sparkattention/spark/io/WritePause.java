package io.sparkattention.spark.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Paths;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Test-only: pauses the driver at one step of {@link ResultWriter}'s write protocol, so that a test
 * can kill it there (SIGKILL) and check what the next run finds. Off unless {@value #STEP_KEY} is
 * set; never set it in production (the job logs a warning when it pauses).
 *
 * <p>At the step it creates the file {@value #MARKER_KEY} names (a local path) and waits until that
 * file is deleted: the test kills the driver meanwhile, or deletes the file to let it go on.
 */
final class WritePause {
  private static final Logger LOG = LoggerFactory.getLogger(WritePause.class);

  /** Spark property: the step to pause at (one of the constants below). */
  static final String STEP_KEY = "spark.sparkattention.test.pauseAt";

  /** Spark property: the local file announcing the pause. */
  static final String MARKER_KEY = "spark.sparkattention.test.pauseMarker";

  /** The output is lock-held and about to be written into its staging directory. */
  static final String CLAIMED = "claimed";

  /** The new output is complete and checked in its staging directory; the old one in place. */
  static final String STAGED = "staged";

  /** The old output is moved aside; nothing is at the path. */
  static final String ASIDE = "aside";

  /** The new output is at the path; the old one still aside. */
  static final String IN = "in";

  /** The old output is deleted; the lock still held. */
  static final String CLEANED = "cleaned";

  private WritePause() {}

  /** Pauses here if the session's {@value #STEP_KEY} names {@code step}. */
  static void at(SparkSession spark, String step) {
    String wanted = spark.conf().get(STEP_KEY, "");
    if (!step.equals(wanted)) {
      return;
    }
    String marker = spark.conf().get(MARKER_KEY, "");
    if (marker.isEmpty()) {
      throw new IllegalStateException(STEP_KEY + " is set but " + MARKER_KEY + " is not");
    }
    LOG.warn("test-only pause at write step '{}' until {} is deleted", step, marker);
    try {
      Files.writeString(Paths.get(marker), step);
      while (Files.exists(Paths.get(marker))) {
        Thread.sleep(50);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
