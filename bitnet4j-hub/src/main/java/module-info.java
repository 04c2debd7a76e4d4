/**
 * bitnet4j hub: models from the Hugging Face Hub. {@link io.bitnet4j.hub.ModelSource} turns {@code REPO[:FILE]} into
 * a local GGUF file in the huggingface_hub cache layout, downloading it when needed; {@link io.bitnet4j.hub.HubCache}
 * lists what is cached.
 */
module io.bitnet4j.hub {
    requires transitive io.bitnet4j;
    requires java.net.http;
    requires com.fasterxml.jackson.databind;

    exports io.bitnet4j.hub;
}
