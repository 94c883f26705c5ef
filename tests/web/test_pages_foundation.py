"""Pages everyone shares: sign-in, the start page, notifications, errors, CSRF, languages."""
from __future__ import annotations

from tests.web.conftest import Pages


def test_signed_out_visitors_are_sent_to_login(pages: Pages) -> None:
    client = pages.app.test_client()
    response = client.get("/notifications")
    assert response.status_code == 302 and "/login?next=/notifications" in response.headers["Location"]


def test_posting_without_a_csrf_token_is_refused_with_a_page(pages: Pages) -> None:
    client = pages.as_("CGW.staff").client
    response = client.post("/logout", data={})
    assert response.status_code == 400
    assert "表单已过期" in response.get_data(as_text=True)


def test_unknown_pages_are_a_chinese_404_page(pages: Pages) -> None:
    response = pages.as_("CGW.staff").get("/no/such/page")
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert "未找到" in body and "<html" in body


def test_english_is_selectable(pages: Pages) -> None:
    response = pages.as_("CGW.staff", lang="en").get("/no/such/page")
    assert "Not found" in response.get_data(as_text=True)


def test_language_switch_only_redirects_inside_the_site(pages: Pages) -> None:
    client = pages.app.test_client()
    assert client.get("/lang/en?next=https://evil.example/").headers["Location"] == "/"
    assert client.get("/lang/en?next=//evil.example/").headers["Location"] == "/"
    assert client.get("/lang/en?next=/notifications").headers["Location"] == "/notifications"


def test_login_redirect_stays_inside_the_site(pages: Pages) -> None:
    from tests.web.conftest import csrf_token_of

    client = pages.app.test_client()
    token = csrf_token_of(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": "CGW.staff", "password": "whistle-demo",
                                           "csrf_token": token, "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"
