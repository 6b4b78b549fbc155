package io.sparkattention.job;

import io.sparkattention.kernel.Precision;
import io.sparkattention.spark.AttentionSpec;
import io.sparkattention.spark.InputException;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The jobs' {@code --precision fp64|fp32} option (a picocli mixin): the arithmetic of the soft
 * attention's block products ({@link Precision}). The value goes into the spec, whose builder
 * checks how it combines ({@code fp32} is for softmax attention); {@link #OPTION_NAMES} maps the
 * spec's parameter back to the option.
 */
final class PrecisionOption {
  /** The spec's parameter name of this option, and the option. */
  static final Map<String, String> OPTION_NAMES = Map.of("precision", "--precision");

  @Option(
      names = "--precision",
      paramLabel = "fp64|fp32",
      description =
          "Arithmetic of softmax attention's block products: fp64, or fp32 (Q·Kᵀ and P·V in"
              + " single precision, about 1e-6 of the output's magnitude; the softmax state, the"
              + " merges and the output stay fp64; not with --attention hard) (default:"
              + " ${DEFAULT-VALUE}).")
  String precision = Precision.FP64.optionValue();

  /**
   * This option's precision.
   *
   * @throws InputException naming the option and the allowed values for any other value
   */
  Precision validated() {
    try {
      return Precision.of(precision.trim());
    } catch (IllegalArgumentException e) {
      throw new InputException("--precision: " + e.getMessage());
    }
  }

  /** Sets this option on {@code spec}. */
  AttentionSpec.Builder applyTo(AttentionSpec.Builder spec) {
    return spec.precision(validated());
  }
}
