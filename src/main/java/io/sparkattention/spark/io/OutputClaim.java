package io.sparkattention.spark.io;

import io.sparkattention.spark.InputException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One job's claim on an output path, from before its input is read until its output is in place:
 * the path's {@link OutputLock}, taken, and the leftovers of earlier runs on the path that were
 * killed, cleaned up under it.
 *
 * <p>The names beside an output {@code OUT} that {@link ResultWriter} uses, and what a killed run
 * leaves of them:
 *
 * <ul>
 *   <li>{@code OUT.staging-APP}: the new output being written. Left alone it is the unfinished or
 *       never-renamed output of a killed run: removed.
 *   <li>{@code OUT.old-APP}: the previous output, moved aside while the new one is renamed in. With
 *       nothing at {@code OUT} the run was killed between the two renames: the previous output is
 *       put back. With an output at {@code OUT} the new one was in place: the old one is removed.
 * </ul>
 *
 * A claim is held per JVM and path: claiming a path this JVM holds returns the held claim.
 */
public final class OutputClaim implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(OutputClaim.class);

  /** Suffix of a staging directory, before the application id. */
  static final String STAGING = ".staging-";

  /** Suffix of a previous output moved aside, before the application id. */
  static final String ASIDE = ".old-";

  private static final Map<Path, OutputClaim> HELD = new ConcurrentHashMap<>();

  private final FileSystem fs;
  private final Path out;
  private final String shown;
  private final OutputLock lock;
  private final List<String> recovered;

  private OutputClaim(
      FileSystem fs, Path out, String shown, OutputLock lock, List<String> recovered) {
    this.fs = fs;
    this.out = out;
    this.shown = shown;
    this.lock = lock;
    this.recovered = recovered;
  }

  /**
   * Claims {@code out} (qualified) for application {@code appId}, or returns this JVM's claim on
   * it: takes its lock, cleans up what killed runs left, then checks that nothing is at the path
   * unless {@code overwrite}.
   *
   * @throws InputException if another job holds the path, leftovers cannot be sorted out, or the
   *     path exists without {@code overwrite}; the lock is not kept then
   */
  static OutputClaim claim(FileSystem fs, Path out, String shown, String appId, boolean overwrite) {
    OutputClaim held = HELD.get(out);
    if (held != null) {
      held.checkOverwrite(overwrite);
      return held;
    }
    OutputLock lock = OutputLock.acquire(fs, out, shown, appId, false);
    OutputClaim claim = new OutputClaim(fs, out, shown, lock, new ArrayList<>());
    try {
      claim.recover();
      claim.checkOverwrite(overwrite);
    } catch (RuntimeException e) {
      lock.release();
      throw e;
    }
    HELD.put(out, claim);
    return claim;
  }

  /**
   * Refuses an output (qualified {@code out}, given as {@code output}) that is the input (qualified
   * {@code in}, given as {@code input}), lies inside it, or holds it.
   */
  static void checkApart(String out, String output, String in, String input) {
    if (out.equals(in)) {
      throw new InputException(
          "output path " + output + " is the input path; write the result somewhere else");
    }
    if (out.startsWith(in + "/")) {
      throw new InputException(
          "output path "
              + output
              + " is inside the input path "
              + input
              + "; write the result outside it");
    }
    if (in.startsWith(out + "/")) {
      throw new InputException(
          "input path "
              + input
              + " is inside the output path "
              + output
              + "; write the result somewhere else");
    }
  }

  /** This JVM's claim on {@code out} (qualified), or null. */
  static OutputClaim held(Path out) {
    return HELD.get(out);
  }

  /** The output path. */
  public Path path() {
    return out;
  }

  /** What the claim cleaned up of killed runs' leftovers, one line each (for logs and tests). */
  public List<String> recovered() {
    return List.copyOf(recovered);
  }

  /** Releases the path: removes its lock. */
  @Override
  public void close() {
    if (HELD.remove(out, this)) {
      lock.release();
    }
  }

  private void checkOverwrite(boolean overwrite) {
    try {
      if (!overwrite && fs.exists(out)) {
        throw new InputException(
            "output path already exists: " + shown + " (use --overwrite to replace it)");
      }
    } catch (IOException e) {
      throw new InputException("cannot check output path " + shown + ": " + e.getMessage(), e);
    }
  }

  /** Puts back or removes what killed runs left beside the output (see the class comment). */
  private void recover() {
    List<Path> aside = new ArrayList<>();
    List<Path> staging = new ArrayList<>();
    try {
      for (FileStatus s : fs.listStatus(out.getParent())) {
        String name = s.getPath().getName();
        if (name.startsWith(out.getName() + ASIDE)) {
          aside.add(s.getPath());
        } else if (name.startsWith(out.getName() + STAGING)) {
          staging.add(s.getPath());
        }
      }
      boolean present = fs.exists(out);
      if (!present && aside.size() > 1) {
        throw new InputException(
            "output path "
                + shown
                + " is missing and several earlier outputs were left beside it by killed runs: "
                + aside
                + "; rename the one to keep to "
                + out
                + " and delete the others");
      }
      for (Path old : aside) {
        if (!present) {
          if (!fs.rename(old, out)) {
            throw new IOException("cannot rename " + old + " back to " + out);
          }
          present = true;
          note(
              "restored the previous output "
                  + out
                  + " from "
                  + old.getName()
                  + ", left by a"
                  + " run killed while replacing it");
        } else {
          fs.delete(old, true);
          note("removed " + old + ", the previous output, left by a run killed after replacing it");
        }
      }
      for (Path s : staging) {
        fs.delete(s, true);
        note("removed " + s + ", the unfinished output of a run that was killed");
      }
    } catch (IOException e) {
      throw new InputException(
          "cannot clean up what earlier runs left beside " + out + ": " + e.getMessage(), e);
    }
  }

  private void note(String line) {
    LOG.warn("{}", line);
    recovered.add(line);
  }
}
