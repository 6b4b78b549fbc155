package io.sparkattention.kernel.impl;

import io.sparkattention.kernel.MatrixEngine;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;

/** {@link MatrixEngine} on EJML's single-threaded {@code CommonOps_DDRM}. */
public final class EjmlEngine implements MatrixEngine {
  /** The one instance (stateless). */
  public static final EjmlEngine INSTANCE = new EjmlEngine();

  private EjmlEngine() {}

  @Override
  public String name() {
    return "ejml";
  }

  @Override
  public void mult(DMatrixRMaj A, DMatrixRMaj B, DMatrixRMaj C) {
    CommonOps_DDRM.mult(A, B, C);
  }

  @Override
  public void multTransB(DMatrixRMaj A, DMatrixRMaj B, DMatrixRMaj C) {
    CommonOps_DDRM.multTransB(A, B, C);
  }

  @Override
  public void multAdd(DMatrixRMaj A, DMatrixRMaj B, DMatrixRMaj C) {
    CommonOps_DDRM.multAdd(A, B, C);
  }
}
