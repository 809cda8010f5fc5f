"""Herramientas de mantenimiento que ningún notebook importa: tools.figures (imgs/) y tools.colab (Colab)."""
