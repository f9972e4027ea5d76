int f(void *curl)
{
  return curl_easy_setopt(curl CURLOPT_URL, "x");
}
