//! `facesym report`: one session as a self-contained HTML page.
