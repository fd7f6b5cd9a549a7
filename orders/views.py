from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView

from catalog.access import SellerRequiredMixin


class YourOrdersView(LoginRequiredMixin, TemplateView):
    template_name = "orders/your_orders.html"


class SellerOrdersView(SellerRequiredMixin, TemplateView):
    template_name = "orders/seller_orders.html"
