package io.sparkattention.spark.cost;

import io.sparkattention.cost.Calibration;
import io.sparkattention.plan.Strategy;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * What {@link CostSweep} sweeps: made by {@link #builder()}. The cost-report job checks the values
 * against its options before building.
 */
public final class SweepSettings {
  private final List<Integer> lengths;
  private final int dModel;
  private final int numHeads;
  private final int window;
  private final int blockSize;
  private final Set<Strategy> strategies;
  private final int repeats;
  private final String input;
  private final Path workDir;
  private final int pyramidLevels;
  private final int kvHeads;
  private final Calibration otherCalibration;
  private final String otherCalibrationSource;
  private final int globalTokens;

  private SweepSettings(Builder b) {
    if (b.lengths == null || b.strategies == null || b.workDir == null) {
      throw new IllegalArgumentException("lengths, strategies and workDir are required");
    }
    this.lengths = List.copyOf(b.lengths);
    this.dModel = b.dModel;
    this.numHeads = b.numHeads;
    this.window = b.window;
    this.blockSize = b.blockSize;
    this.strategies = Set.copyOf(b.strategies);
    this.repeats = b.repeats;
    this.input = b.input;
    this.workDir = b.workDir;
    this.pyramidLevels = b.pyramidLevels;
    this.kvHeads = b.kvHeads;
    this.otherCalibration = b.otherCalibration;
    this.otherCalibrationSource = b.otherCalibrationSource;
    this.globalTokens = b.globalTokens;
  }

  /** An empty builder: one head, one repeat, no input table, no pyramid unless set. */
  public static Builder builder() {
    return new Builder();
  }

  /** Sequence lengths (ignored with an input table). */
  public List<Integer> lengths() {
    return lengths;
  }

  /** Vector width of the synthetic inputs. */
  public int dModel() {
    return dModel;
  }

  /** Heads; the heads configuration runs when > 1. */
  public int numHeads() {
    return numHeads;
  }

  /** Local attention's window. */
  public int window() {
    return window;
  }

  /** Kernel block size. */
  public int blockSize() {
    return blockSize;
  }

  /** Which of blocks, window, heads, single to run. */
  public Set<Strategy> strategies() {
    return strategies;
  }

  /** Runs per configuration (medians reported). */
  public int repeats() {
    return repeats;
  }

  /** A token table to use instead of synthetic inputs, or null. */
  public String input() {
    return input;
  }

  /** Where inputs and outputs of the runs go. */
  public Path workDir() {
    return workDir;
  }

  /**
   * Levels of the pyramid configuration (global attention with blocks after a pyramidal encoder),
   * which runs when > 0 and blocks is among the strategies.
   */
  public int pyramidLevels() {
    return pyramidLevels;
  }

  /**
   * Key/value heads G of the grouped-query twin of each configuration (0: none). When set, every
   * configuration but the pyramid runs twice, with seeded random projection weights: as multi-head
   * attention (H key/value heads) and as grouped-query attention (G).
   */
  public int kvHeads() {
    return kvHeads;
  }

  /** A calibration made elsewhere, whose predictions go beside the measurements; or null. */
  public Calibration otherCalibration() {
    return otherCalibration;
  }

  /** Where {@link #otherCalibration()} came from (its file), or null. */
  public String otherCalibrationSource() {
    return otherCalibrationSource;
  }

  /**
   * Global tokens N of the window configuration's Longformer twin (0: none). When set and the
   * window strategy runs, {@code local-window-gN} runs beside {@code local-window}: the same window
   * with the first N positions of each sequence global.
   */
  public int globalTokens() {
    return globalTokens;
  }

  /** Collects the settings; see the accessors of {@link SweepSettings} for what each means. */
  public static final class Builder {
    private List<Integer> lengths;
    private int dModel;
    private int numHeads = 1;
    private int window;
    private int blockSize;
    private Set<Strategy> strategies;
    private int repeats = 1;
    private String input;
    private Path workDir;
    private int pyramidLevels;
    private int kvHeads;
    private Calibration otherCalibration;
    private String otherCalibrationSource;
    private int globalTokens;

    private Builder() {}

    public Builder lengths(List<Integer> lengths) {
      this.lengths = lengths;
      return this;
    }

    public Builder dModel(int dModel) {
      this.dModel = dModel;
      return this;
    }

    public Builder numHeads(int numHeads) {
      this.numHeads = numHeads;
      return this;
    }

    public Builder window(int window) {
      this.window = window;
      return this;
    }

    public Builder blockSize(int blockSize) {
      this.blockSize = blockSize;
      return this;
    }

    public Builder strategies(Set<Strategy> strategies) {
      this.strategies = strategies;
      return this;
    }

    public Builder repeats(int repeats) {
      this.repeats = repeats;
      return this;
    }

    public Builder input(String input) {
      this.input = input;
      return this;
    }

    public Builder workDir(Path workDir) {
      this.workDir = workDir;
      return this;
    }

    public Builder pyramidLevels(int pyramidLevels) {
      this.pyramidLevels = pyramidLevels;
      return this;
    }

    public Builder kvHeads(int kvHeads) {
      this.kvHeads = kvHeads;
      return this;
    }

    /** A calibration from elsewhere to predict every run with (null: none), and its file. */
    public Builder otherCalibration(Calibration calibration, String source) {
      this.otherCalibration = calibration;
      this.otherCalibrationSource = source;
      return this;
    }

    public Builder globalTokens(int globalTokens) {
      this.globalTokens = globalTokens;
      return this;
    }

    /**
     * @throws IllegalArgumentException if the lengths, strategies or work directory are missing
     */
    public SweepSettings build() {
      return new SweepSettings(this);
    }
  }
}
