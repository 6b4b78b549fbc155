package io.sparkattention.spark.io;

import io.sparkattention.spark.InputException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lock file {@code OUTPUT.lock} beside an output path, which one job at a time holds while it
 * writes there. It names its owner (application, host, process id and the process's start time); a
 * lock whose owner is a process of this host that is gone (killed, or a reused process id) is stale
 * and taken over, one of another host is refused with a message saying what to delete.
 *
 * <p>Why a file and not Spark's own protocol: Spark's commit protocol makes one job's tasks atomic,
 * but nothing stops two jobs from renaming into the same path, and Hadoop's local rename silently
 * falls back to copying into an existing directory. Holding the lock from before the input is read
 * until the output is in place makes the rename protocol of {@link ResultWriter} single-writer.
 */
final class OutputLock {
  private static final Logger LOG = LoggerFactory.getLogger(OutputLock.class);

  private final FileSystem fs;
  private final Path lock;
  private final String content;

  private OutputLock(FileSystem fs, Path lock, String content) {
    this.fs = fs;
    this.lock = lock;
    this.content = content;
  }

  /** The lock file of {@code out}: {@code OUT.lock} in the same directory. */
  static Path lockPath(Path out) {
    return new Path(out.getParent(), out.getName() + ".lock");
  }

  /**
   * Takes the lock of {@code out} for application {@code appId}.
   *
   * @param shown the path as the user gave it, for messages
   * @param heldHere whether this JVM holds a claim on {@code out} (a lock naming this process but
   *     not held is left over from a run in this JVM that failed to release it, and is stale)
   * @throws InputException if another live job holds it, or it cannot be told whether its owner
   *     lives, or the directory cannot be written
   */
  static OutputLock acquire(FileSystem fs, Path out, String shown, String appId, boolean heldHere) {
    Path lock = lockPath(out);
    String mine = ownerLine(appId);
    try {
      if (!fs.exists(out.getParent())) {
        fs.mkdirs(out.getParent());
      }
      for (int attempt = 0; attempt < 5; attempt++) {
        if (createExclusive(fs, lock, mine)) {
          return new OutputLock(fs, lock, mine);
        }
        String theirs = read(fs, lock);
        if (theirs == null) {
          continue; // released meanwhile
        }
        Owner owner = Owner.parse(theirs);
        if (owner == null) {
          throw new InputException(
              "output path "
                  + shown
                  + " is locked by "
                  + lock
                  + ", which does not name its owner; if no job is writing there, delete it");
        }
        if (!owner.host().equals(localHost())) {
          throw new InputException(
              "output path "
                  + shown
                  + " is being written by "
                  + owner.describe()
                  + " on another host; wait for it to finish, or, if it is no longer running,"
                  + " delete "
                  + lock);
        }
        if (owner.alive(heldHere)) {
          throw new InputException(
              "output path "
                  + shown
                  + " is being written by another job ("
                  + owner.describe()
                  + "); wait for it to finish or choose another --output");
        }
        takeOver(fs, lock, theirs, appId);
      }
      throw new InputException(
          "output path "
              + out
              + ": could not take its lock "
              + lock
              + " (other jobs keep taking it)");
    } catch (IOException e) {
      throw new InputException(
          "cannot write to the output directory " + out.getParent() + ": " + e.getMessage(), e);
    }
  }

  /** Removes the lock if it is still this one's (a lock taken over meanwhile is left alone). */
  void release() {
    try {
      if (content.equals(read(fs, lock))) {
        fs.delete(lock, false);
      }
    } catch (IOException e) {
      LOG.warn("could not remove the lock {}: {}", lock, e.getMessage());
    }
  }

  /**
   * Moves a stale lock aside under a name of its own, and deletes it; if what was moved is not the
   * lock judged stale (another job took it over and locked again in between), it goes back.
   */
  private static void takeOver(FileSystem fs, Path lock, String stale, String appId)
      throws IOException {
    Path aside = new Path(lock.getParent(), lock.getName() + ".stale-" + UUID.randomUUID());
    if (!fs.rename(lock, aside)) {
      return; // someone else moved it: try again
    }
    String moved = read(fs, aside);
    if (stale.equals(moved)) {
      fs.delete(aside, false);
      LOG.warn(
          "took over the lock {} of a job that is no longer running ({})",
          lock,
          Owner.parse(stale).describe());
    } else if (!createExclusive(fs, lock, moved == null ? "" : moved)) {
      LOG.warn("lock {} changed hands while being taken over by {}", lock, appId);
      fs.delete(aside, false);
    } else {
      fs.delete(aside, false);
    }
  }

  /**
   * Creates {@code lock} holding {@code text} unless it exists, atomically: on the local file
   * system a file written under a private name, then hard-linked to the lock's name (link(2) fails
   * if the name exists, and the lock never exists half-written); elsewhere create without
   * overwrite, which HDFS does atomically.
   */
  private static boolean createExclusive(FileSystem fs, Path lock, String text) throws IOException {
    java.io.File local = localFile(fs, lock);
    if (local != null) {
      java.nio.file.Path target = local.toPath();
      java.nio.file.Path tmp =
          target.resolveSibling(target.getFileName() + ".tmp-" + UUID.randomUUID());
      Files.writeString(tmp, text);
      try {
        Files.createLink(target, tmp);
        return true;
      } catch (java.nio.file.FileAlreadyExistsException e) {
        return false;
      } finally {
        Files.deleteIfExists(tmp);
      }
    }
    try (FSDataOutputStream o = fs.create(lock, false)) {
      o.write(text.getBytes(StandardCharsets.UTF_8));
      return true;
    } catch (org.apache.hadoop.fs.FileAlreadyExistsException e) {
      return false;
    }
  }

  private static java.io.File localFile(FileSystem fs, Path p) {
    // Only under the file: scheme: another scheme on local files (a test's failing file system)
    // writes its own way.
    if (!"file".equals(fs.getUri().getScheme())) {
      return null;
    }
    if (fs instanceof LocalFileSystem) {
      return ((LocalFileSystem) fs).pathToFile(p);
    }
    if (fs instanceof RawLocalFileSystem) {
      return ((RawLocalFileSystem) fs).pathToFile(p);
    }
    return null;
  }

  /** The file's text, or null if it does not exist. */
  private static String read(FileSystem fs, Path p) throws IOException {
    try (InputStream in = fs.open(p)) {
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      in.transferTo(b);
      return b.toString(StandardCharsets.UTF_8);
    } catch (java.io.FileNotFoundException e) {
      return null;
    }
  }

  private static String ownerLine(String appId) {
    ProcessHandle me = ProcessHandle.current();
    long started = me.info().startInstant().map(Instant::toEpochMilli).orElse(0L);
    return "app=" + appId + " host=" + localHost() + " pid=" + me.pid() + " started=" + started;
  }

  static String localHost() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "localhost";
    }
  }

  /** Who holds a lock, as its file says. */
  private record Owner(String app, String host, long pid, long startedMillis) {
    static Owner parse(String text) {
      String app = null;
      String host = null;
      Long pid = null;
      Long started = null;
      for (String kv : text.strip().split(" ")) {
        int eq = kv.indexOf('=');
        if (eq < 0) {
          return null;
        }
        String v = kv.substring(eq + 1);
        try {
          switch (kv.substring(0, eq)) {
            case "app" -> app = v;
            case "host" -> host = v;
            case "pid" -> pid = Long.parseLong(v);
            case "started" -> started = Long.parseLong(v);
            default -> {
              return null;
            }
          }
        } catch (NumberFormatException e) {
          return null;
        }
      }
      return app == null || host == null || pid == null || started == null
          ? null
          : new Owner(app, host, pid, started);
    }

    /**
     * Whether the owner (a process of this host) still runs: its process id is alive and started
     * when the lock says (else the id was reused). This JVM is alive only while it holds a claim.
     */
    boolean alive(boolean heldHere) {
      if (pid == ProcessHandle.current().pid()) {
        return heldHere;
      }
      Optional<ProcessHandle> p = ProcessHandle.of(pid);
      if (p.isEmpty() || !p.get().isAlive()) {
        return false;
      }
      Optional<Instant> start = p.get().info().startInstant();
      return startedMillis == 0 || start.isEmpty() || start.get().toEpochMilli() == startedMillis;
    }

    String describe() {
      return "application " + app + ", process " + pid + " on " + host;
    }
  }
}
