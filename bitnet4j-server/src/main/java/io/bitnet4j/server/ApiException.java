package io.bitnet4j.server;

/**
 * A request the server answers with an OpenAI error object, {@code {"error":{"message","type","param","code"}}},
 * and an HTTP status. The message is for the client: it names the problem, never an internal detail.
 */
final class ApiException extends RuntimeException {
    final int status;
    final String type;
    final String param;
    final String code;

    ApiException(int status, String type, String param, String code, String message) {
        super(message, null, false, false); // no stack trace: this is an answer, not a bug
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
    }

    static ApiException invalid(String param, String message) {
        return new ApiException(400, "invalid_request_error", param, "invalid_value", message);
    }

    static ApiException unsupported(String param, String message) {
        return new ApiException(400, "invalid_request_error", param, "unsupported_parameter", message);
    }

    static ApiException malformedJson(String detail) {
        return new ApiException(400, "invalid_request_error", null, "invalid_json",
                "We could not parse the JSON body of your request: " + detail);
    }

    static ApiException contextTooLong(String param, int tokens, int contextLength) {
        return new ApiException(400, "invalid_request_error", param, "context_length_exceeded",
                "This model's maximum context length is " + contextLength + " tokens. However, your prompt resulted in "
                        + tokens + " tokens. Please reduce the length of the " + param + ".");
    }

    static ApiException modelNotFound(String model, String served) {
        return new ApiException(404, "invalid_request_error", "model", "model_not_found",
                "The model '" + model + "' does not exist: this server serves '" + served + "' (see GET /v1/models).");
    }

    static ApiException unauthorized(boolean given) {
        return new ApiException(401, "invalid_request_error", null, "invalid_api_key", given
                ? "Incorrect API key provided."
                : "You didn't provide an API key. Send it in the Authorization header: 'Authorization: Bearer KEY'.");
    }

    static ApiException tooLarge(long limit) {
        return new ApiException(413, "invalid_request_error", null, "request_too_large",
                "The request body is larger than this server's limit of " + limit + " bytes.");
    }

    static ApiException busy(String message) {
        return new ApiException(429, "requests", null, "rate_limit_exceeded", message);
    }

    static ApiException timeout(String message) {
        return new ApiException(504, "server_error", null, "timeout", message);
    }

    static ApiException unavailable(String message) {
        return new ApiException(503, "server_error", null, "server_unavailable", message);
    }

    static ApiException notFound(String method, String path) {
        return new ApiException(404, "invalid_request_error", null, "unknown_url", "Unknown request URL: " + method + " " + path + ".");
    }

    static ApiException internal() {
        return new ApiException(500, "server_error", null, null, "The server had an error while processing your request (see the server log).");
    }
}
