package io.sparkattention.spark;

/**
 * Bad input or options: the message says what is wrong and where (column, seq_id/pos, option,
 * path), and is meant for the user as it is, without a stack trace.
 */
public class InputException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public InputException(String message) {
    super(message);
  }

  public InputException(String message, Throwable cause) {
    super(message, cause);
  }
}
