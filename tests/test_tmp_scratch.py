from tests.test_security_tenant_walk import FreshGClient, _fresh_g_per_request  # noqa: F401
def test_x(app, dev_b_client):
    html = dev_b_client.get("/property/houses/list/").get_data(as_text=True)
    import re
    i = html.find("1座")
    print(html[i-1500:i+300])
