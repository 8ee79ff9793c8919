//! One error type for every handler: an HTTP status and a clear Vietnamese message. The API
//! answers `{"error": "…"}`; pages for citizens and sign-in show the message in HTML instead.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// A refused or failed request. Nothing internal leaks: the message is for the person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// What is wrong, in Vietnamese.
    pub message: String,
}

impl ApiError {
    /// An error with `status` and `message`.
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
        }
    }
    /// 400.
    pub fn bad(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }
    /// 403.
    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, message)
    }
    /// 404.
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, message)
    }
    /// 401: no session and no device token.
    pub fn signed_out() -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "Vui lòng đăng nhập")
    }
    /// 403: the signed-in officer is not a supervisor.
    pub fn supervisors_only() -> ApiError {
        ApiError::forbidden("Chỉ cán bộ giám sát được làm việc này")
    }
    /// 403: the session's CSRF token is missing or wrong.
    pub fn bad_csrf() -> ApiError {
        ApiError::forbidden("Phiên làm việc không hợp lệ, vui lòng tải lại trang")
    }
    /// 400: a body that is not the JSON the route takes.
    pub fn bad_body() -> ApiError {
        ApiError::bad("Dữ liệu gửi lên không hợp lệ")
    }
    /// 404: no such route or action.
    pub fn no_route() -> ApiError {
        ApiError::not_found("Không có trang hoặc thao tác này")
    }
    /// 404: no such action on an existing route.
    pub fn no_action() -> ApiError {
        ApiError::not_found("Thao tác không tồn tại")
    }
    /// 500 for a failure of the server itself (logged).
    pub fn internal() -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "Lỗi hệ thống")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(motcua::api::ApiError {
                error: self.message,
            }),
        )
            .into_response()
    }
}

impl From<motcua::Error> for ApiError {
    fn from(e: motcua::Error) -> Self {
        use motcua::Error as E;
        let status = match &e {
            E::UnknownService(_) | E::UnknownPriority(_) | E::AmbiguousNumber(_) => {
                StatusCode::BAD_REQUEST
            }
            E::UnknownCounter(_) | E::TicketNotFound { .. } => StatusCode::NOT_FOUND,
            E::NotAtCounter { .. } => StatusCode::FORBIDDEN,
            E::NoCurrentTicket(_)
            | E::InvalidTransition { .. }
            | E::CounterPaused(_)
            | E::NotRateable { .. }
            | E::NumbersExhausted { .. }
            | E::ClockBehind { .. } => StatusCode::CONFLICT,
            E::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
            // The disk or the database file failed (full, read-only, permissions): the server
            // itself is fine and says so; the log names the file.
            E::Database(_) | E::Io { .. } | E::Storage { .. } => {
                tracing::error!(error = %e, "storage failed");
                return ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Không ghi được dữ liệu hàng đợi (ổ đĩa đầy hoặc lỗi tệp), vui lòng báo cán bộ kỹ thuật",
                );
            }
            _ => {
                tracing::error!(error = %e, "request failed");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        ApiError::new(status, e.vi())
    }
}
