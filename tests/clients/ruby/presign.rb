# Presigns with the AWS SDK for Ruby (Debian's ruby-aws-sdk-s3), for the Python suite:
#   ruby presign.rb ENDPOINT METHOD BUCKET KEY [EXPIRES]
# METHOD is an SDK operation name such as get_object or put_object; prints the URL.
require "aws-sdk-s3"

endpoint, method, bucket, key, expires = ARGV
client = Aws::S3::Client.new(
  endpoint: endpoint,
  region: "us-east-1",
  force_path_style: true,
  access_key_id: "AKIAIOSFODNN7EXAMPLE",
  secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)
presigner = Aws::S3::Presigner.new(client: client)
puts presigner.presigned_url(method.to_sym, bucket: bucket, key: key, expires_in: Integer(expires || "300"))
