"""Google's error answers: `{"error": {"code", "message", "status"}}`, with the messages Google uses."""

STATUSES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


class ApiError(Exception):
    """Raised anywhere in a request; the server turns it into Google's JSON error body."""

    def __init__(self, code, message, details=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details

    def body(self):
        error = {"code": self.code, "message": self.message, "status": STATUSES[self.code]}
        if self.details:
            error["details"] = self.details
        return {"error": error}

    @classmethod
    def bad_request(cls, message):
        return cls(400, message)

    @classmethod
    def bad_range(cls, text):
        return cls(400, f"Unable to parse range: {text}")

    @classmethod
    def not_found(cls):
        return cls(404, "Requested entity was not found.")


def quota_exceeded(kind, limit):
    """The 429 Google sends past the per-user quota; `kind` is "Read" or "Write"."""
    return ApiError(
        429,
        f"Quota exceeded for quota metric '{kind} requests' and limit '{kind} requests per minute per "
        "user' of service 'sheets.googleapis.com' for consumer 'project_number:000000000000'.",
        details=[
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "RATE_LIMIT_EXCEEDED",
                "domain": "googleapis.com",
                "metadata": {
                    "quota_metric": f"sheets.googleapis.com/{kind.lower()}_requests",
                    "quota_limit_value": str(limit),
                    "quota_limit": f"{kind}RequestsPerMinutePerUser",
                    "quota_location": "global",
                    "service": "sheets.googleapis.com",
                    "consumer": "projects/000000000000",
                },
            },
            {
                "@type": "type.googleapis.com/google.rpc.Help",
                "links": [
                    {
                        "description": "Request a higher quota limit.",
                        "url": "https://cloud.google.com/docs/quota#requesting_higher_quota",
                    }
                ],
            },
        ],
    )
