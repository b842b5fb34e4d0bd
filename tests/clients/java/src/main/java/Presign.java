// The Java presigners of the presigner matrix (tests/clients/python/test_presigner_matrix.py):
// one JSON request per line on stdin, one JSON answer per line on stdout; see
// tests/clients/js/presign-driver.js for the fields. SDK "java-v2": the AWS SDK for Java 2.x
// S3Presigner (presignGetObject, presignPutObject; it has no POST presigner).

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.presigner.PresignedRequest;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;
import software.amazon.awssdk.services.s3.presigner.model.GetObjectPresignRequest;
import software.amazon.awssdk.services.s3.presigner.model.PutObjectPresignRequest;

public final class Presign {
    static final String ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE";
    static final String SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    static final ObjectMapper JSON = new ObjectMapper();

    static String text(JsonNode r, String name) {
        JsonNode v = r.get(name);
        return v == null || v.isNull() ? null : v.asText();
    }

    static ObjectNode answer(PresignedRequest p) {
        ObjectNode out = JSON.createObjectNode();
        out.put("url", p.url().toString());
        ObjectNode headers = out.putObject("headers");
        for (Map.Entry<String, List<String>> h : p.signedHeaders().entrySet()) {
            if (!h.getKey().equalsIgnoreCase("host") && !h.getValue().isEmpty()) {
                headers.put(h.getKey(), h.getValue().get(0));
            }
        }
        return out;
    }

    static ObjectNode javaV2(JsonNode r) {
        Duration expires = Duration.ofSeconds(r.get("expires").asLong());
        try (S3Presigner presigner = S3Presigner.builder()
                .region(Region.of(text(r, "region")))
                .endpointOverride(URI.create(text(r, "endpoint")))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
                .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled("path".equals(text(r, "style"))).build())
                .build()) {
            String bucket = text(r, "bucket");
            String key = text(r, "key");
            switch (text(r, "op")) {
                case "get": {
                    GetObjectRequest.Builder get = GetObjectRequest.builder().bucket(bucket).key(key);
                    if (text(r, "response_content_type") != null) {
                        get.responseContentType(text(r, "response_content_type"));
                    }
                    return answer(presigner.presignGetObject(GetObjectPresignRequest.builder()
                            .signatureDuration(expires).getObjectRequest(get.build()).build()));
                }
                case "put": {
                    PutObjectRequest.Builder put = PutObjectRequest.builder().bucket(bucket).key(key);
                    if (text(r, "content_type") != null) {
                        put.contentType(text(r, "content_type"));
                    }
                    return answer(presigner.presignPutObject(PutObjectPresignRequest.builder()
                            .signatureDuration(expires).putObjectRequest(put.build()).build()));
                }
                default: {
                    ObjectNode out = JSON.createObjectNode();
                    out.put("unsupported", "the SDK has no POST presigner");
                    return out;
                }
            }
        }
    }

    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            ObjectNode out;
            try {
                JsonNode r = JSON.readTree(line);
                if (!"java-v2".equals(text(r, "sdk"))) {
                    throw new IllegalArgumentException("unknown sdk " + text(r, "sdk"));
                }
                out = javaV2(r);
            } catch (Exception e) {
                out = JSON.createObjectNode();
                out.put("error", e.toString());
            }
            System.out.println(JSON.writeValueAsString(out));
            System.out.flush();
        }
    }
}
