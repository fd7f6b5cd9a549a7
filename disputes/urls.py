"""Resolution Center URLs, under /resolution-center/ (marketplace/urls.py)."""

from django.urls import path

from . import views

app_name = "disputes"

urlpatterns = [
    path("", views.CaseListView.as_view(), name="case_list"),
    path("orders/<order_number:number>/open/", views.OpenCaseView.as_view(), name="open_case"),
    path("cases/<int:pk>/", views.CaseDetailView.as_view(), name="case_detail"),
    path("cases/<int:pk>/reply/", views.ReplyView.as_view(), name="reply"),
    path("cases/<int:pk>/offer/", views.OfferView.as_view(), name="offer"),
    path("cases/<int:pk>/accept/", views.AcceptOfferView.as_view(), name="accept_offer"),
    path("cases/<int:pk>/withdraw/", views.WithdrawView.as_view(), name="withdraw"),
    path("cases/<int:pk>/escalate/", views.EscalateView.as_view(), name="escalate"),
]
