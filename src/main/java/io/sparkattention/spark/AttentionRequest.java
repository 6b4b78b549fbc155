package io.sparkattention.spark;

import io.sparkattention.spark.io.ContextTable;
import io.sparkattention.spark.io.TableFormat;
import io.sparkattention.spark.io.VectorType;
import io.sparkattention.spark.maps.AttentionMaps;
import org.apache.hadoop.fs.Path;

/**
 * One run of attention from a table on disk to a table on disk, for {@link
 * SparkAttention#run(org.apache.spark.sql.SparkSession, AttentionRequest)}: made by {@link
 * #builder()}, whose {@link Builder#build()} checks the rules between the request's parts (a
 * context exactly for cross-attention; maps only for softmax self-attention, at another path than
 * the output), throwing {@link InputException} naming the parameter ({@code input}, {@code output},
 * {@code format}, {@code vectorType}, {@code spec}, {@code context}, {@code maps}).
 */
public final class AttentionRequest {
  private final String input;
  private final String output;
  private final TableFormat format;
  private final VectorType vectorType;
  private final boolean overwrite;
  private final AttentionSpec spec;
  private final ContextTable context;
  private final AttentionMaps.Request maps;

  private AttentionRequest(Builder b) {
    this.input = b.input;
    this.output = b.output;
    this.format = b.format;
    this.vectorType = VectorType.resolve(b.vectorType, b.format);
    this.overwrite = b.overwrite;
    this.spec = b.spec;
    this.context = b.context;
    this.maps = b.maps;
  }

  /** A builder; input, output, format and spec are required. */
  public static Builder builder() {
    return new Builder();
  }

  /** The token table's path. */
  public String input() {
    return input;
  }

  /** Where the result goes (must not exist unless {@link #overwrite()}). */
  public String output() {
    return output;
  }

  /** The format of the input, the output and the maps. */
  public TableFormat format() {
    return format;
  }

  /**
   * How the output's {@code out} column is written: an ML vector or a plain {@code array<double>}
   * (default: a vector in Parquet, an array in JSON).
   */
  public VectorType vectorType() {
    return vectorType;
  }

  /** Whether an existing output (and maps) may be replaced. */
  public boolean overwrite() {
    return overwrite;
  }

  /** What to compute. */
  public AttentionSpec spec() {
    return spec;
  }

  /** The keys/values table of cross-attention, or null for self-attention. */
  public ContextTable context() {
    return context;
  }

  /** Where to write the attention maps, or null for none. */
  public AttentionMaps.Request maps() {
    return maps;
  }

  /** This request with another spec (checked again). */
  public AttentionRequest withSpec(AttentionSpec other) {
    return toBuilder().spec(other).build();
  }

  private Builder toBuilder() {
    return new Builder()
        .input(input)
        .output(output)
        .format(format)
        .vectorType(vectorType)
        .overwrite(overwrite)
        .spec(spec)
        .context(context)
        .maps(maps);
  }

  /** Collects a request; {@link #build()} checks it. */
  public static final class Builder {
    private String input;
    private String output;
    private TableFormat format;
    private VectorType vectorType;
    private boolean overwrite;
    private AttentionSpec spec;
    private ContextTable context;
    private AttentionMaps.Request maps;

    private Builder() {}

    /** The token table's path. */
    public Builder input(String path) {
      this.input = path;
      return this;
    }

    /** The result's path. */
    public Builder output(String path) {
      this.output = path;
      return this;
    }

    /** The tables' format. */
    public Builder format(TableFormat format) {
      this.format = format;
      return this;
    }

    /**
     * The output's vector column type (null, the default: a vector in Parquet, an array in JSON; a
     * vector in JSON is refused).
     */
    public Builder vectorType(VectorType vectorType) {
      this.vectorType = vectorType;
      return this;
    }

    /** Replace an existing output (default false). */
    public Builder overwrite(boolean overwrite) {
      this.overwrite = overwrite;
      return this;
    }

    /** What to compute. */
    public Builder spec(AttentionSpec spec) {
      this.spec = spec;
      return this;
    }

    /** The context table of cross-attention (null: self-attention). */
    public Builder context(ContextTable context) {
      this.context = context;
      return this;
    }

    /** Also write the attention maps (null: none). */
    public Builder maps(AttentionMaps.Request maps) {
      this.maps = maps;
      return this;
    }

    /**
     * The request.
     *
     * @throws InputException naming the parameter at fault
     */
    public AttentionRequest build() {
      require(input != null && !input.isBlank(), "input", "is required");
      require(output != null && !output.isBlank(), "output", "is required");
      require(format != null, "format", "is required");
      require(spec != null, "spec", "is required");
      VectorType.resolve(vectorType, format);
      require(
          context != null || !spec.isCross(),
          "context",
          "is required for cross attention (the keys/values table)");
      require(context == null || spec.isCross(), "context", "applies to cross attention only");
      if (maps != null) {
        require(
            !spec.isCross() && !spec.selection().isHard(),
            "maps",
            "applies to softmax self-attention (global, local, causal, local-p)");
        require(
            !new Path(maps.path()).equals(new Path(output)),
            "maps",
            "must differ from the output (" + output + ")");
      }
      return new AttentionRequest(this);
    }

    private static void require(boolean ok, String parameter, String problem) {
      if (!ok) {
        throw InputException.forParameter(parameter, problem);
      }
    }
  }
}
