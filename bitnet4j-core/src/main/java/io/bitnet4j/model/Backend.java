package io.bitnet4j.model;


/** Which kernel library runs the matrix work. */
public enum Backend {
    /** Native when its library loads on this platform, else the Vector API (one log line says which and why). */
    AUTO,
    /** The C++ kernels (bitnet4j-core's platform jar), chosen per ISA at run time. */
    NATIVE,
    /** Pure Java on the Vector API: any platform, slower. */
    VECTOR,
    /** Scalar Java: the reference, for tests. */
    JAVA;

    /** The lower-case name the CLI and configuration files use ("auto", "native", "vector", "java"). */
    public String id() {
        return Names.id(this);
    }

    /** Parses {@link #id()}; the message lists the choices. */
    public static Backend parse(String id) {
        return Names.parse(Backend.class, id, "backend");
    }
}
